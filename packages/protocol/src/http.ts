/** The routes under the BFF's base path, relative to it. */
export const AUTH_ROUTES = {
  login: 'login',
  refresh: 'refresh',
  logout: 'logout',
  sessions: 'sessions',
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
 * cleared together with the HttpOnly refresh cookie. It only says "a refresh cookie was set", so a
 * page load without it skips the refresh request that could only answer 401.
 */
export const SESSION_HINT_COOKIE = 'baton_session'
