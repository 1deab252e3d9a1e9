/**
 * @module
 * `GET {base}/oidc/callback`: the provider's redirect. Opens the transaction (once, across
 * instances), exchanges the code with the PKCE verifier, lets `openid-client` validate the ID token
 * (signature, `iss`, `aud`, `nonce`, `exp`, `auth_time` against `max_age`), starts the Baton
 * session exactly as a password login does, keeps the provider's tokens on the server, and sends
 * the browser to `returnTo`.
 * @internal
 */
import type { Context } from 'hono'
import { deleteCookie, getCookie } from 'hono/cookie'
import * as oidc from 'openid-client'
import { refreshCookieValues, setSessionCookies } from '../cookies.js'
import { findFamily, presentToken } from '../presented-token.js'
import { requestMeta } from '../request-meta.js'
import { guardStore } from '../stores/guard.js'
import type { StoredSession } from '../stores/types.js'
import { assertUser } from '../user-check.js'
import type { OidcRouteDeps } from './deps.js'
import { OidcLoginError } from './navigation.js'
import type { IdTokenClaims } from './options.js'
import { ProviderUnavailable } from './provider.js'
import {
  isTransaction,
  transactionCookieAttributes,
  transactionCookieName,
  type Transaction,
} from './transaction.js'

/** Provider errors that mean "nobody is signed in there and `prompt=none` forbade asking". */
const LOGIN_REQUIRED = new Set([
  'login_required',
  'consent_required',
  'interaction_required',
  'account_selection_required',
])

// `AbortSignal.timeout()`, which openid-client's `timeout` uses, rejects with a `TimeoutError`.
const isNetworkFailure = (error: unknown) =>
  error instanceof TypeError ||
  (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError'))

/** The HTTP answer openid-client could not use (no OAuth error body in it), if that is the error. */
const unusableAnswer = (error: unknown) =>
  error instanceof oidc.ClientError && error.cause instanceof Response ? error.cause : null

/** @internal Maps what `authorizationCodeGrant` throws to a stable code. */
export function exchangeFailure(error: unknown): OidcLoginError {
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
  // openid-client's own checks (the ID token, the response's shape) are ClientErrors; a network
  // failure comes as one whose cause is a TypeError, an AbortError or a TimeoutError, or as those
  // themselves.
  // A 5xx or 429 page, from the provider or a proxy in front of it, is an outage too.
  // An answer with a `WWW-Authenticate` header comes as a challenge, not as a body error, whatever
  // its status: a 401 (the client's credentials refused) is a failed exchange, a 5xx an outage.
  const challenged = error instanceof oidc.WWWAuthenticateChallengeError ? error : null
  const answer = unusableAnswer(error) ?? challenged
  const network =
    error instanceof ProviderUnavailable ||
    isNetworkFailure(error) ||
    (error instanceof oidc.ClientError && isNetworkFailure(error.cause)) ||
    (answer !== null && (answer.status >= 500 || answer.status === 429))
  if (network) {
    return new OidcLoginError('provider_unavailable', 'The provider could not be reached', {
      cause: error,
    })
  }
  if (answer !== null) {
    return new OidcLoginError(
      'token_exchange_failed',
      challenged
        ? `The token endpoint answered ${answer.status} with a challenge`
        : `The token endpoint answered ${answer.status} without an OAuth error`,
      { cause: error },
    )
  }
  return new OidcLoginError(
    'invalid_id_token',
    error instanceof Error ? error.message : 'The provider answer could not be validated',
    { cause: error },
  )
}

const stringArray = (value: unknown): string[] | null =>
  Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : null

/** @internal The handler of `GET /oidc/callback`; throws {@link OidcLoginError} on a refusal. */
export function callbackRoute(deps: OidcRouteDeps) {
  const { config, sessions, revoker, oidcConfig, sealer, stateStore, upstream } = deps
  const secure = config.cookie.secure
  const txCookie = transactionCookieName(secure)

  return async function oidcCallbackRoute(c: Context): Promise<Response> {
    const sealed = getCookie(c, txCookie)
    const forget = () => deleteCookie(c, txCookie, transactionCookieAttributes(secure))
    const now = config.now()
    const claims = sealed === undefined ? null : await sealer.open('transaction', sealed, now)
    if (!isTransaction(claims)) {
      forget()
      throw new OidcLoginError('invalid_state', 'No valid sign-in transaction for this callback')
    }
    const query = new URL(c.req.url).searchParams
    // Another sign-in's callback (a tab whose transaction a newer one replaced, any link to this
    // route): the cookie stays for the sign-in it belongs to, still on its way back.
    if (query.get('state') !== claims.state) {
      throw new OidcLoginError('invalid_state', 'The callback state does not match the transaction')
    }
    // One attempt per transaction, whatever its outcome.
    forget()
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
    assertUser(user, 'mapUser')
    const values = refreshCookieValues(c, config)
    const cookie = values.length === 1 ? values[0] : undefined
    const meta = requestMeta(config, c)
    const sid = typeof idClaims.sid === 'string' && idClaims.sid !== '' ? idClaims.sid : null
    const presented = presentToken(cookie)
    // The session this sign-in replaces (`sessions.login` ends it), whose upstream grant ends too.
    const previous = presented ? await findFamily(config.store, presented) : null
    const issued = await upstream.replacing(previous?.id ?? null, () =>
      sessions.login(
        { ...user },
        cookie,
        meta,
        c,
        bindingKey(claims, config.binding.policy === 'off' ? null : previous),
        {
          // A provider that does not say when the user signed in may have answered from a single
          // sign-on session hours old: the session counts as never freshly proven (0), so a route
          // behind `requireAuth({ maxAge })` sends the user to step up, and that step-up's `max_age`
          // makes the provider name the time (OpenID Connect Core §3.1.2.1).
          authTime: typeof idClaims.auth_time === 'number' ? idClaims.auth_time * 1000 : 0,
          amr: stringArray(idClaims.amr) ?? [],
          acr: typeof idClaims.acr === 'string' ? idClaims.acr : null,
        },
      ),
    )
    if (previous !== null && previous.id !== issued.sessionId) {
      await upstream.retireReplaced(previous.id, {
        sid,
        refreshToken: tokens.refresh_token ?? null,
      })
    }
    const expiresIn = tokens.expiresIn()
    let ended: boolean
    try {
      await upstream.saveNew(
        {
          sessionId: issued.sessionId,
          iss: provider.issuer,
          sub: idClaims.sub,
          sid,
          accessToken: tokens.access_token,
          accessTokenExpiresAt: expiresIn === undefined ? null : config.now() + expiresIn * 1000,
          refreshToken: tokens.refresh_token ?? null,
          idToken: tokens.id_token ?? null,
          signedInAt: idClaims.iat,
        },
        config.now() + issued.cookieMaxAge * 1000,
      )
      // Read once registered: a back-channel logout that looked for this session before it was
      // indexed (during the exchange, or since `sessions.login`) left its mark first.
      ended = await upstream.endedBefore(provider.issuer, {
        sub: idClaims.sub,
        sid,
        iat: idClaims.iat,
        startedAt: now,
      })
    } catch (error) {
      // A session back-channel logout could not find must not go on.
      await revoker.revoke(issued.sessionId, 'revoked', meta, config.now()).catch(() => undefined)
      throw error
    }
    if (ended) {
      await revoker.revoke(issued.sessionId, 'provider_logout', meta, config.now())
      await upstream.forget(issued.sessionId)
      config.emit({
        type: 'provider_logout',
        sid,
        sub: idClaims.sub,
        sessionIds: [issued.sessionId],
        at: config.now(),
        ...meta,
      })
      throw new OidcLoginError(
        'login_required',
        'The provider ended its session before this sign-in completed',
      )
    }
    setSessionCookies(c, config, issued)
    c.header('cache-control', 'no-store')
    return c.redirect(claims.returnTo, 302)
  }
}

/**
 * The device key the new session is bound to. The one `POST /oidc/login` was signed with (the
 * callback, a navigation, carries no proof of its own), but for two cases where the session this
 * browser's cookie names tells better, since whoever presents a bound session's cookie holds its
 * key too (or stole the cookie, and gets nothing usable from it):
 * - a sign-in started by the plain-link GET names no key, and any site can send the browser there:
 *   it must not unbind the session the browser holds;
 * - a sign-in in another tab while the user was at the provider made a new key after the start:
 *   the session it made is newer than the transaction, and its key is the one the browser signs
 *   with now (the start's would end the new session at its first refresh as `binding_mismatch`).
 */
function bindingKey(transaction: Transaction, replaced: StoredSession | null): string | null {
  const started = transaction.jkt ?? null
  if (!replaced?.jkt) return started
  if (started === null) return replaced.jkt
  const startedAt = transaction.startedAt ?? Number.POSITIVE_INFINITY
  return replaced.createdAt >= startedAt ? replaced.jkt : started
}
