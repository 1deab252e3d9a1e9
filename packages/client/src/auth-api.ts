/**
 * @module
 * The calls to the BFF's cookie routes (login, refresh, logout, step-up, the second step of a
 * sign-in, a passkey sign-in) with plain `fetch`, each answered with a classified outcome instead
 * of a thrown HTTP error, so the coordinator can tell "session over" from "network trouble". Each
 * carries a DPoP proof where the browser binds its sessions, and a refresh waits out the BFF's
 * `Retry-After`. Sending one call and reading its answer is `bff-exchange.ts`.
 */
import {
  ACTIVITY_HEADER,
  AUTH_ROUTES,
  CSRF_HEADER,
  CSRF_HEADER_VALUE,
  DPOP_HEADER,
  DPOP_NONCE_HEADER,
  type LoginBody,
  type LoginMfaBody,
  type OidcLoginBody,
  type PasskeyAssertion,
  type BaseUser,
} from '@baton/protocol'
import { exchange, failureOf, field, type Failure } from './bff-exchange.js'
import type { Dpop } from './dpop.js'
import { boundTo } from './dpop-proof.js'
import { RefreshNetworkError, SessionExpiredError } from './errors.js'
import { parseGrant, type Grant } from './grant.js'
import type { ClientConfig } from './options.js'
import type { ReauthenticateCredentials } from './client.js'

/** @internal */
export type AuthOutcome<TUser extends BaseUser> = { kind: 'granted'; grant: Grant<TUser> } | Failure

/** @internal `POST {base}/oidc/login`'s answer: the provider's URL to navigate to, or why not. */
export type SignInStart = { kind: 'started'; location: string } | Failure

/** What a session that ended because its device key was gone says, instead of the BFF's words. */
export const KEY_LOST_MESSAGE = 'This browser lost the device key of the session: sign in again.'

/**
 * @internal The cookie routes' calls. With `dpop` (a browser that can bind), each carries a proof
 * (`dpop.ts`), and one is sent again at once, with a fresh proof, when the BFF asks for a nonce
 * (`use_dpop_nonce`) or refused a proof whose `iat` the server's `Date` shows to be off: never
 * more than once, so a BFF that keeps refusing is answered like any refusal.
 */
export function createAuthApi<TUser extends BaseUser>(config: ClientConfig, dpop?: Dpop) {
  // Aborted by destroy(), so a destroyed client holds no lock and no connection.
  const lifetime = new AbortController()
  // Until when the BFF asked this tab not to refresh (Retry-After of a 429 or 503): a wake-up, a
  // 401 or a waiting request must not send what the BFF just said it would refuse.
  let refreshNotBefore = 0

  const answer = async (
    route:
      | 'login'
      | 'refresh'
      | 'logout'
      | 'reauthenticate'
      | 'loginMfa'
      | 'login/passkey'
      | 'oidcLogin',
    json?: unknown,
    activity?: boolean,
    bearer?: string,
  ): Promise<AuthOutcome<TUser> | SignInStart | { kind: 'ok' }> => {
    const url = `${config.baseUrl}/${route === 'login/passkey' ? route : AUTH_ROUTES[route]}`
    // A passkey sign-in is a sign-in (a new key); the second step of one signs with the key its
    // password step made, so the ticket and the session it becomes belong to one device. A
    // sign-in at the provider signs with the stored key (a new one only if there is none): its
    // session is bound when the user comes back, long after this call's answer, and a new key
    // stored now would end the session this browser may hold if the user never does.
    const signer = route === 'login/passkey' ? 'login' : route === 'oidcLogin' ? 'refresh' : route
    const send = async (retry: boolean) => {
      const headers: Record<string, string> = { [CSRF_HEADER]: CSRF_HEADER_VALUE }
      if (json !== undefined) headers['content-type'] = 'application/json'
      if (activity) headers[ACTIVITY_HEADER] = '1'
      // A retry signs with the key the first attempt used (a sign-in's new key included), or with
      // a new one if the first went unsigned for want of a key (see `dpop.ts`).
      const proof = await dpop?.cookieProof(
        retry ? 'retry' : signer,
        url,
        bearer,
        route === 'oidcLogin',
      )
      if (proof) headers[DPOP_HEADER] = proof
      if (bearer !== undefined)
        headers.authorization = `${proof && boundTo(bearer) ? 'DPoP' : 'Bearer'} ${bearer}`
      const sent = await exchange(
        config,
        (input, init) => config.fetch(input, init),
        url,
        { method: 'POST', credentials: 'include', headers, body: JSON.stringify(json) },
        lifetime.signal,
      )
      if (!('failed' in sent)) dpop?.observe(url, sent.headers)
      return [sent, proof] as const
    }
    const [first, proof] = await send(false)
    let answer = first
    /** The first call went unsigned for want of a key, and the retry is signed by a new one. */
    let keyCreated = false
    if (dpop && !('failed' in answer) && answer.status >= 400) {
      const code = field(field(answer.body, 'error'), 'code')
      // A sign-in's key is its own (a second step's, its password step's): never a stored one.
      keyCreated =
        !proof && code === 'invalid_dpop_proof' && signer !== 'login' && signer !== 'loginMfa'
      if (
        keyCreated ||
        (proof &&
          (code === 'use_dpop_nonce'
            ? answer.headers.has(DPOP_NONCE_HEADER)
            : code === 'invalid_dpop_proof' && dpop.clockWasOff(answer.headers)))
      )
        [answer] = await send(true)
    }
    if ('failed' in answer) {
      return {
        kind: 'network',
        error: new RefreshNetworkError(undefined, { cause: answer.failed }),
      }
    }
    const { status, body, headers: answered } = answer
    // Only a logout answers with no content; any other call that does has no grant to give.
    if (status === 204 && route === 'logout') return { kind: 'ok' }
    if (status < 200 || status > 299) {
      const request = { method: 'POST', url, baseUrl: config.baseUrl }
      const failure = failureOf(status, body, route === 'refresh', request, answered, config.now())
      if (route === 'refresh' && failure.kind === 'network' && failure.error.retryAfter)
        refreshNotBefore = config.now() + failure.error.retryAfter * 1000
      // The key was gone, so this call was signed with a new one, and the BFF ended the session
      // bound to the old (`binding_mismatch`): that, not a revocation by someone, is what happened.
      if (keyCreated && failure.kind === 'ended' && failure.error.reason === 'session_revoked') {
        const error = new SessionExpiredError('session_revoked', {
          message: KEY_LOST_MESSAGE,
          status,
          serverCode: 'session_revoked',
          cause: failure.error,
        })
        return { kind: 'ended', error }
      }
      return failure
    }
    if (route === 'oidcLogin') {
      const location = field(body, 'location')
      if (typeof location === 'string') return { kind: 'started', location }
      return {
        kind: 'network',
        error: new RefreshNetworkError('Unexpected BFF response.', { status }),
      }
    }
    const grant = parseGrant<TUser>(body, config.now())
    if (grant) dpop?.observeToken(grant.accessToken, grant.issuedAt, true)
    if (grant) return { kind: 'granted', grant }
    return {
      kind: 'network',
      error: new RefreshNetworkError('Unexpected BFF response.', { status }),
    }
  }

  /** A call, whose outcome the device key hears of: a sign-in's new key is kept on a grant. */
  const call = async (...args: Parameters<typeof answer>) => {
    const outcome = await answer(...args)
    const { kind } = outcome
    const mfa = kind === 'rejected' && outcome.error.code === 'mfa_required'
    await dpop?.answered(kind === 'granted' ? 'granted' : mfa ? 'second_step' : 'refused')
    return outcome
  }

  return {
    login: (credentials: LoginBody) => call('login', credentials) as Promise<AuthOutcome<TUser>>,
    /** `activity`: the user was active since the last refresh that said so (it extends the idle deadline). */
    refresh: (activity: boolean): Promise<AuthOutcome<TUser>> => {
      const wait = refreshNotBefore - config.now()
      if (wait > 0) {
        const retryAfter = Math.ceil(wait / 1000)
        const message = `Rate limited by the BFF: the next refresh waits ${retryAfter} s.`
        return Promise.resolve({
          kind: 'network',
          error: new RefreshNetworkError(message, { status: 429, retryAfter }),
        })
      }
      return call('refresh', undefined, activity) as Promise<AuthOutcome<TUser>>
    },
    /** The BFF told another tab not to refresh before `when` (epoch ms): it would refuse this one. */
    deferRefresh: (when: number) => void (refreshNotBefore = Math.max(refreshNotBefore, when)),
    /**
     * Step-up (RFC 9470): proves the user again with `credentials`, authorised by the current
     * access token and the refresh cookie; the grant's token carries a new `auth_time`.
     */
    reauthenticate: (credentials: ReauthenticateCredentials, accessToken: string) =>
      call('reauthenticate', credentials, false, accessToken) as Promise<AuthOutcome<TUser>>,
    /** The second step of a sign-in (`POST {base}/login/mfa`). */
    loginMfa: (body: LoginMfaBody) => call('loginMfa', body) as Promise<AuthOutcome<TUser>>,
    /** A passwordless sign-in with a passkey (`POST {base}/login/passkey`). */
    loginPasskey: (assertion: PasskeyAssertion) =>
      call('login/passkey', { assertion }) as Promise<AuthOutcome<TUser>>,
    logout: (everywhere: boolean) => call('logout', everywhere ? { everywhere } : undefined),
    /** Starts a sign-in at the OpenID provider (`POST {base}/oidc/login`), signed by the device key. */
    oidcLogin: (body: OidcLoginBody) => call('oidcLogin', body) as Promise<SignInStart>,
    /** Gets the refresh's proof ready to be made (its key store opened) while its lock is awaited. */
    prepare: () => dpop?.prepare(),
    abort: () => lifetime.abort(),
  }
}

/** @internal */
export type AuthApi<TUser extends BaseUser> = ReturnType<typeof createAuthApi<TUser>>
