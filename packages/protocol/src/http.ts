/** The routes under the BFF's base path, relative to it. */
export const AUTH_ROUTES = {
  login: 'login',
  refresh: 'refresh',
  logout: 'logout',
  sessions: 'sessions',
  reauthenticate: 'reauthenticate',
  loginMfa: 'login/mfa',
  loginPasskey: 'login/passkey',
  loginPasskeyOptions: 'login/passkey/options',
  reauthenticatePasskeyOptions: 'reauthenticate/passkey/options',
  factors: 'factors',
  oidcLogin: 'oidc/login',
} as const

/**
 * The header every cookie-authenticated call carries. A cross-site form or image cannot set it,
 * and a cross-origin `fetch` that sets it needs a CORS preflight the BFF does not grant.
 */
export const CSRF_HEADER = 'x-csrf'
/** The value of {@link CSRF_HEADER}. */
export const CSRF_HEADER_VALUE = '1'

/**
 * Default name of the companion cookie: readable by scripts, holding nothing secret, set and
 * cleared together with the HttpOnly refresh cookie. It says "a refresh cookie was set", so a page
 * load without it skips the refresh request that could only answer 401; its value is an opaque tag
 * of the session, the same across its refreshes and new with every sign-in.
 */
export const SESSION_HINT_COOKIE = 'baton_session'

/**
 * Default name of the HttpOnly refresh cookie, on `Path=/`. The `__Host-` prefix makes browsers
 * refuse the name from any response that sets a `Domain` or another Path, or comes over plain
 * HTTP, so a sibling subdomain cannot plant ("toss") a cookie of this name next to the real one
 * (RFC 6265bis §4.1.3.2; the IETF "OAuth 2.0 for Browser-Based Applications" BCP).
 */
export const REFRESH_COOKIE = '__Host-baton_rt'

/**
 * Default name of the refresh cookie when the BFF scopes it to its auth routes
 * (`cookie: { scope: 'auth-path' }`): `__Host-` requires `Path=/`, so only `__Secure-` applies,
 * which keeps it off plain HTTP but not away from sibling subdomains.
 */
export const AUTH_PATH_REFRESH_COOKIE = '__Secure-baton_rt'

/**
 * Sent as `1` on a refresh that the user's activity asked for (a request waiting for a token, a
 * tab starting, input after a wake). Only those extend the session's idle deadline: a background
 * keep-alive is not activity (OWASP ASVS 7.3.1).
 */
export const ACTIVITY_HEADER = 'x-baton-activity'

/**
 * The request header carrying a DPoP proof JWT (RFC 9449 §4): on every call that uses the refresh
 * cookie, and beside `Authorization: DPoP <token>` on API calls of a bound session.
 */
export const DPOP_HEADER = 'dpop'

/** The response header in which the BFF hands out a fresh DPoP nonce (RFC 9449 §8). */
export const DPOP_NONCE_HEADER = 'dpop-nonce'

/**
 * A readable cookie the BFF sets on `POST {base}/logout` of a session signed in through an OpenID
 * provider: nothing secret, it only tells the page that `GET {base}/oidc/logout` has a provider
 * session to end (the ticket beside it is HttpOnly).
 */
export const OIDC_END_HINT_COOKIE = 'baton_oidc_end_hint'
