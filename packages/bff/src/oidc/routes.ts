/**
 * @module
 * The OpenID Connect routes under the BFF's `basePath`:
 * - `GET /oidc/login?returnTo=/path[&prompt=…][&max_age=…]`: a navigation; 302 to the provider
 *   (authorization code, PKCE S256, `state`, `nonce`, PAR when the provider advertises it);
 * - `GET /oidc/callback`: the provider's redirect; exchanges the code, validates the ID token,
 *   starts the Baton session as a password login does, 302 to `returnTo`;
 * - `GET /oidc/logout`: a navigation after `POST /logout`; 302 to the provider's end-session URL;
 * - `POST /oidc/backchannel-logout`: the provider ends sessions (Back-Channel Logout 1.0).
 * Failed navigations land on the app's `errorPath` with `?oidc_error=<code>`, never a 500.
 * @internal
 */
import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import * as oidc from 'openid-client'
import { refreshCookieValues, setSessionCookies } from '../cookies.js'
import { BffError, isBffError, NO_SNIFF } from '../errors.js'
import { requestMeta } from '../request-meta.js'
import { guardStore } from '../stores/guard.js'
import type { OidcHost } from './plugin.js'
import { InvalidLogoutToken, validateLogoutToken } from './backchannel.js'
import { OIDC_ERROR_CODES, OIDC_ERROR_PARAM, type OidcErrorCode } from './error-codes.js'
import type { IdTokenClaims, OidcConfig } from './options.js'
import { ProviderUnavailable, type Provider } from './provider.js'
import { safeReturnTo } from './return-to.js'
import type { Sealer } from './seal.js'
import type { OidcStateStore } from './state-store.js'
import type { Upstream } from './upstream.js'

/** What `prompt` may ask the provider for (OpenID Connect Core §3.1.2.1). */
const PROMPTS = new Set(['none', 'login', 'consent', 'select_account'])

/** Provider errors that mean "nobody is signed in there and `prompt=none` forbade asking". */
const LOGIN_REQUIRED = new Set([
  'login_required',
  'consent_required',
  'interaction_required',
  'account_selection_required',
])

/** An end-session ticket lives this long: from `POST /logout` to the navigation that follows it. */
const END_SESSION_TTL_SECONDS = 120

/** @internal A failed sign-in, with its `oidc_error` code. */
export class OidcLoginError extends Error {
  override readonly name = 'OidcLoginError'
  constructor(
    readonly code: OidcErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** @internal Everything the routes need. */
export interface OidcRouteDeps extends OidcHost {
  oidcConfig: OidcConfig
  provider: () => Promise<Provider>
  sealer: Sealer
  stateStore: OidcStateStore
  upstream: Upstream
}

/** Cookie names follow the refresh cookie's `secure`: `__Host-` needs Secure (RFC 6265bis §4.1.3). */
const cookieName = (secure: boolean, name: string) => (secure ? `__Host-${name}` : name)

const asCode = (code: string): OidcErrorCode =>
  (OIDC_ERROR_CODES as readonly string[]).includes(code)
    ? (code as OidcErrorCode)
    : 'provider_error'

/** What a transaction cookie holds. */
interface Transaction {
  tx: string
  state: string
  nonce: string
  verifier: string
  returnTo: string
  maxAge: number | null
}

const isTransaction = (value: unknown): value is Transaction => {
  const t = value as Partial<Transaction> | null
  return (
    typeof t === 'object' &&
    t !== null &&
    typeof t.tx === 'string' &&
    typeof t.state === 'string' &&
    typeof t.nonce === 'string' &&
    typeof t.verifier === 'string' &&
    typeof t.returnTo === 'string' &&
    (t.maxAge === null || typeof t.maxAge === 'number')
  )
}

/** Maps what `authorizationCodeGrant` throws to a stable code. */
function exchangeFailure(error: unknown): OidcLoginError {
  if (error instanceof oidc.AuthorizationResponseError) {
    const code =
      error.error === 'access_denied'
        ? 'access_denied'
        : LOGIN_REQUIRED.has(error.error)
          ? 'login_required'
          : 'provider_error'
    return new OidcLoginError(code, `The provider answered ${error.error}`, { cause: error })
  }
  if (error instanceof oidc.ResponseBodyError) {
    return new OidcLoginError(
      'token_exchange_failed',
      `The token endpoint answered ${error.error}`,
      { cause: error },
    )
  }
  if (error instanceof oidc.ClientError) {
    // openid-client's own checks: the ID token (signature, iss, aud, nonce, exp, auth_time…) and
    // the response's shape. A network failure comes as a TypeError or an AbortError.
    const network =
      error.cause instanceof TypeError ||
      (error.cause instanceof Error && error.cause.name === 'AbortError')
    if (network)
      return new OidcLoginError('provider_unavailable', 'The provider could not be reached', {
        cause: error,
      })
    return new OidcLoginError('invalid_id_token', error.message, { cause: error })
  }
  if (
    error instanceof ProviderUnavailable ||
    error instanceof TypeError ||
    (error instanceof Error && error.name === 'AbortError')
  ) {
    return new OidcLoginError('provider_unavailable', 'The provider could not be reached', {
      cause: error,
    })
  }
  return new OidcLoginError('invalid_id_token', 'The provider answer could not be validated', {
    cause: error,
  })
}

const stringArray = (value: unknown): string[] | null =>
  Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : null

/** @internal */
export function oidcRoutes(deps: OidcRouteDeps) {
  const { config, sessions, revoker, oidcConfig, sealer, stateStore, upstream } = deps
  const secure = config.cookie.secure
  const txCookie = cookieName(secure, 'baton_oidc')
  const endCookie = cookieName(secure, 'baton_oidc_end')

  const fail = (c: Context, error: OidcLoginError) => {
    if (
      error.code === 'provider_error' ||
      error.code === 'provider_unavailable' ||
      error.code === 'store_unavailable'
    ) {
      config.logger.warn(
        `[baton] OpenID Connect sign-in failed: ${error.code}`,
        error.cause ?? error,
      )
    }
    config.emit({
      type: 'oidc_login_failed',
      code: error.code,
      at: config.now(),
      ...requestMeta(config, c),
    })
    c.header('cache-control', 'no-store')
    const target = `${oidcConfig.errorPath}?${OIDC_ERROR_PARAM}=${encodeURIComponent(error.code)}`
    return c.redirect(target, 302)
  }

  // Lax, not Strict: the callback is a top-level navigation coming from the provider's site, and a
  // Strict cookie would not travel with it. HttpOnly and encrypted: the page never sees the
  // verifier or the nonce.
  const txAttributes = { httpOnly: true, secure, sameSite: 'Lax', path: '/' } as const

  const login = async (c: Context) => {
    const origin = new URL(c.req.url).origin
    const returnTo = safeReturnTo(c.req.query('returnTo'), origin)
    if (returnTo === null)
      throw new OidcLoginError('invalid_request', 'returnTo must be a path on this origin')
    const prompt = c.req.query('prompt')
    if (prompt !== undefined && !prompt.split(' ').every((value) => PROMPTS.has(value))) {
      throw new OidcLoginError(
        'invalid_request',
        'prompt must be none, login, consent or select_account',
      )
    }
    const maxAgeParam = c.req.query('max_age')
    if (maxAgeParam !== undefined && !/^\d{1,9}$/.test(maxAgeParam)) {
      throw new OidcLoginError('invalid_request', 'max_age must be a whole number of seconds')
    }
    const provider = await deps.provider()
    const verifier = oidc.randomPKCECodeVerifier()
    const transaction: Transaction = {
      tx: oidc.randomState(),
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier,
      returnTo,
      maxAge: maxAgeParam === undefined ? null : Number(maxAgeParam),
    }
    const parameters: Record<string, string> = {
      redirect_uri: oidcConfig.redirectUri.href,
      scope: oidcConfig.scopes.join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: transaction.state,
      nonce: transaction.nonce,
    }
    if (prompt !== undefined) parameters['prompt'] = prompt
    if (maxAgeParam !== undefined) parameters['max_age'] = maxAgeParam
    const configuration = provider.configuration
    let url: URL
    try {
      // PAR (RFC 9126) when advertised: the parameters travel server to server, authenticated.
      url = configuration.serverMetadata().pushed_authorization_request_endpoint
        ? await oidc.buildAuthorizationUrlWithPAR(configuration, parameters)
        : oidc.buildAuthorizationUrl(configuration, parameters)
    } catch (error) {
      throw error instanceof oidc.ResponseBodyError
        ? new OidcLoginError('provider_error', `PAR answered ${error.error}`, { cause: error })
        : new OidcLoginError('provider_unavailable', 'PAR failed', { cause: error })
    }
    const now = config.now()
    const sealed = await sealer.seal(
      'transaction',
      { ...transaction },
      oidcConfig.transactionTtlSeconds,
      now,
    )
    setCookie(c, txCookie, sealed, { ...txAttributes, maxAge: oidcConfig.transactionTtlSeconds })
    c.header('cache-control', 'no-store')
    return c.redirect(url.href, 302)
  }

  const callback = async (c: Context) => {
    const sealed = getCookie(c, txCookie)
    // One attempt per transaction, whatever its outcome.
    deleteCookie(c, txCookie, txAttributes)
    const now = config.now()
    const claims = sealed === undefined ? null : await sealer.open('transaction', sealed, now)
    if (!isTransaction(claims)) {
      throw new OidcLoginError('invalid_state', 'No valid sign-in transaction for this callback')
    }
    const query = new URL(c.req.url).searchParams
    if (query.get('state') !== claims.state) {
      throw new OidcLoginError('invalid_state', 'The callback state does not match the transaction')
    }
    // Single use across instances: the browser may still hold the cookie (a copied response, a
    // back button), so the store, not the cookie's deletion, decides.
    const first = await guardStore(() =>
      stateStore.claim(`tx:${claims.tx}`, '1', oidcConfig.transactionTtlSeconds * 1000),
    )
    if (!first) throw new OidcLoginError('replayed', 'This sign-in transaction was already used')

    const provider = await deps.provider()
    // The registered redirect URI with the callback's query: behind a proxy the request URL may
    // name another scheme or host, and it is the registered one the provider compares.
    const currentUrl = new URL(oidcConfig.redirectUri.href)
    currentUrl.search = query.toString()
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>
    try {
      tokens = await oidc.authorizationCodeGrant(
        provider.configuration,
        currentUrl,
        {
          pkceCodeVerifier: claims.verifier,
          expectedState: claims.state,
          expectedNonce: claims.nonce,
          idTokenExpected: true,
          ...(claims.maxAge === null ? {} : { maxAge: claims.maxAge }),
        },
        { redirect_uri: oidcConfig.redirectUri.href },
      )
    } catch (error) {
      throw exchangeFailure(error)
    }
    const idClaims = tokens.claims() as IdTokenClaims | undefined
    if (!idClaims) throw new OidcLoginError('invalid_id_token', 'The provider sent no ID token')

    const user = await oidcConfig.mapUser(idClaims, c)
    if (user === null) throw new OidcLoginError('user_refused', 'mapUser refused this user')
    if (typeof user !== 'object' || typeof user.id !== 'string' || user.id === '') {
      throw new TypeError('mapUser must resolve to null or a user with a non-empty string id')
    }
    const values = refreshCookieValues(c, config)
    const meta = requestMeta(config, c)
    const sid = typeof idClaims.sid === 'string' && idClaims.sid !== '' ? idClaims.sid : null
    const issued = await sessions.login(
      { ...user },
      values.length === 1 ? values[0] : undefined,
      meta,
      c,
      null,
      {
        authTime: typeof idClaims.auth_time === 'number' ? idClaims.auth_time * 1000 : now,
        amr: stringArray(idClaims.amr) ?? [],
        acr: typeof idClaims.acr === 'string' ? idClaims.acr : null,
      },
    )
    const expiresIn = tokens.expiresIn()
    try {
      await upstream.saveNew(
        {
          sessionId: issued.sessionId,
          sub: idClaims.sub,
          sid,
          accessToken: tokens.access_token,
          accessTokenExpiresAt: expiresIn === undefined ? null : config.now() + expiresIn * 1000,
          refreshToken: tokens.refresh_token ?? null,
          idToken: tokens.id_token ?? null,
        },
        config.now() + issued.cookieMaxAge * 1000,
      )
    } catch (error) {
      // A session back-channel logout could not find must not go on.
      await revoker.revoke(issued.sessionId, 'revoked', meta, config.now()).catch(() => undefined)
      throw error
    }
    setSessionCookies(c, config, issued.refreshToken, issued.cookieMaxAge)
    c.header('cache-control', 'no-store')
    return c.redirect(claims.returnTo, 302)
  }

  const navigation = (handler: (c: Context) => Promise<Response>) => async (c: Context) => {
    try {
      return await handler(c)
    } catch (error) {
      if (error instanceof OidcLoginError) return fail(c, error)
      if (error instanceof ProviderUnavailable) {
        return fail(c, new OidcLoginError('provider_unavailable', error.message, { cause: error }))
      }
      if (isBffError(error))
        return fail(c, new OidcLoginError(asCode(error.code), error.message, { cause: error }))
      throw error
    }
  }

  return new Hono()
    .get('/oidc/login', navigation(login))
    .get('/oidc/callback', navigation(callback))
    .get('/oidc/logout', async (c) => {
      const ticket = getCookie(c, endCookie)
      deleteCookie(c, endCookie, { httpOnly: true, secure, sameSite: 'Strict', path: '/' })
      c.header('cache-control', 'no-store')
      let url: string | null = null
      if (ticket !== undefined && /^[\w-]{16,128}$/.test(ticket)) {
        url = await guardStore(() => stateStore.get(`end:${ticket}`))
        await guardStore(() => stateStore.delete(`end:${ticket}`))
      }
      // Without a ticket (none, used, expired) there is no provider session to end from here.
      return c.redirect(url ?? oidcConfig.postLogoutRedirectUri ?? '/', 302)
    })
    .post(
      '/oidc/backchannel-logout',
      bodyLimit({
        maxSize: 16 * 1024,
        onError: () => {
          throw new BffError(413, 'payload_too_large', 'The logout request is too large.')
        },
      }),
      async (c) => {
        c.header('cache-control', 'no-store')
        c.header(...NO_SNIFF)
        const type = c.req.header('content-type') ?? ''
        if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
          throw new BffError(400, 'invalid_request', 'Expected a form with logout_token.')
        }
        const form = await c.req.parseBody()
        const token = form['logout_token']
        if (typeof token !== 'string' || token === '') {
          throw new BffError(400, 'invalid_request', 'logout_token is required.')
        }
        let provider: Provider
        try {
          provider = await deps.provider()
        } catch (cause) {
          throw new BffError(
            503,
            'jwks_unavailable',
            'The identity provider could not be reached.',
            { cause },
          )
        }
        let target
        try {
          target = await validateLogoutToken(token, provider.keys, {
            issuer: provider.issuer,
            clientId: oidcConfig.clientId,
            now: config.now(),
          })
        } catch (error) {
          if (error instanceof InvalidLogoutToken) {
            throw new BffError(400, 'invalid_request', `Invalid logout_token: ${error.message}`)
          }
          throw new BffError(
            503,
            'jwks_unavailable',
            'The identity provider keys could not be fetched.',
            { cause: error },
          )
        }
        // Step 6 of §2.6, across instances: a logout token is accepted once.
        const first = await guardStore(() =>
          stateStore.claim(`jti:${target.jti}`, '1', target.rememberSeconds * 1000),
        )
        if (!first)
          throw new BffError(400, 'invalid_request', 'Invalid logout_token: jti was already used.')
        const ids = await upstream.sessionsOf(
          target.sid !== null ? { sid: target.sid } : { sub: target.sub! },
        )
        const meta = requestMeta(config, c)
        for (const id of ids) {
          // Through the store's revocation: every instance's requireAuth hears it.
          await revoker.revoke(id, 'revoked', meta, config.now())
          await upstream.forget(id)
        }
        return c.body(null, 200)
      },
    )
}

/** @internal The end-session ticket cookie set by `POST /logout` for a provider-signed-in session. */
export function endSessionCookieName(secure: boolean) {
  return cookieName(secure, 'baton_oidc_end')
}

export { END_SESSION_TTL_SECONDS }
