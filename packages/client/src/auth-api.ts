/**
 * @module
 * The calls to the BFF's cookie routes (login, refresh, logout) with plain `fetch`, each answered
 * with a classified outcome instead of a thrown HTTP error, so the coordinator can tell "session
 * over" from "network trouble"; and the one reading of a BFF error body, shared with the session
 * routes.
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
  type MfaRequiredErrorBody,
  type PasskeyAssertion,
  type SessionEndCode,
  type BaseUser,
} from '@baton/protocol'
import { classOf, type RejectedCode } from './auth-codes.js'
import type { Dpop } from './dpop.js'
import { boundTo } from './dpop-proof.js'
import {
  BatonError,
  MfaRequiredError,
  RateLimitedError,
  RefreshNetworkError,
  SessionExpiredError,
  StepUpRequiredError,
  type AnyBatonError,
} from './errors.js'
import { isId, isObject, parseGrant, type Grant, type Unchecked } from './grant.js'
import type { ClientConfig } from './options.js'
import { challengeFromBody } from './step-up-challenge.js'
import type { ReauthenticateCredentials } from './client.js'
import { clearTimer, setTimer } from './timers.js'

/** @internal */
export type Failure =
  | { kind: 'ended'; error: SessionExpiredError }
  | { kind: 'network'; error: RefreshNetworkError }
  | { kind: 'rejected'; error: Exclude<AnyBatonError, SessionExpiredError | RefreshNetworkError> }

/** @internal */
export type AuthOutcome<TUser extends BaseUser> = { kind: 'granted'; grant: Grant<TUser> } | Failure

const field = (value: unknown, key: string): unknown => (isObject(value) ? value[key] : undefined)

/**
 * @internal What came back from the BFF: a status, a JSON body (`undefined` if none) and the
 * headers.
 */
export type Answer = { status: number; body: unknown; headers: Headers } | { failed: unknown }

/**
 * @internal The `requestTimeout` of one exchange, which a call may stop while it waits for the
 * user (a step-up) rather than for the network, and start again afterwards.
 */
export interface PausableTimeout {
  pause(): void
  resume(): void
}

/**
 * @internal Seconds to wait before trying again: the `Retry-After` header (seconds or an HTTP
 * date, RFC 9110 §10.2.3), else the body's `error.retryAfter`; `undefined` when neither says.
 */
export function retryAfterOf(headers: Headers | undefined, body: unknown, now: number) {
  const header = headers?.get('retry-after')?.trim()
  if (header) {
    if (/^\d+$/.test(header)) return Number(header)
    const date = Date.parse(header)
    if (Number.isFinite(date)) return Math.max(0, Math.ceil((date - now) / 1000))
  }
  const seconds = field(field(body, 'error'), 'retryAfter')
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0
    ? Math.ceil(seconds)
    : undefined
}

/**
 * @internal One call to the BFF, bounded by `requestTimeout` (reading the body included: one that
 * never ends must not hold the lock) and aborted with `lifetime`. Never throws: a failed `fetch`
 * (network, timeout, abort) is `{ failed }`.
 */
export async function exchange(
  config: ClientConfig,
  send: (url: string, init: RequestInit, timeout: PausableTimeout) => Promise<Response>,
  url: string,
  init: RequestInit,
  lifetime?: AbortSignal,
): Promise<Answer> {
  const controller = new AbortController()
  const abort = () => controller.abort()
  lifetime?.addEventListener('abort', abort)
  let timer: ReturnType<typeof setTimer> | undefined = setTimer(abort, config.requestTimeout)
  const timeout: PausableTimeout = {
    pause: () => {
      clearTimer(timer)
      timer = undefined
    },
    resume: () => {
      clearTimer(timer)
      timer = setTimer(abort, config.requestTimeout)
    },
  }
  try {
    const response = await send(url, { ...init, signal: controller.signal }, timeout)
    // No body, or not JSON (a proxy's HTML error page): the status alone tells.
    const body: unknown = await response.json().catch(() => undefined)
    return { status: response.status, body, headers: response.headers }
  } catch (failed) {
    return { failed }
  } finally {
    clearTimer(timer)
    lifetime?.removeEventListener('abort', abort)
  }
}

/** The pending sign-in of a `401 mfa_required` body, `null` when the body does not hold one. */
const mfaOf = (body: unknown) => {
  const { ticket, methods, expiresAt } = (field(body, 'error') ?? {}) as Unchecked<
    MfaRequiredErrorBody['error']
  >
  return isId(ticket) && Array.isArray(methods) && typeof expiresAt === 'number'
    ? { ticket, methods: methods as MfaRequiredErrorBody['error']['methods'], expiresAt }
    : null
}

/** @internal The call a failure answered, named in its message when the BFF did not explain it. */
export interface RequestOf {
  method: string
  url: string
  baseUrl: string
}

/**
 * @internal What a non-2xx answer of the BFF means, from its status and `{ error: { code,
 * message } }` body. The BFF's message and code are kept on the error as they were sent. A 4xx
 * without that body did not come from the BFF's routes (a 404 page, a proxy): with `request`, the
 * message names the call and asks about `baseUrl`, the usual cause (issue 19).
 */
export function failureOf(
  status: number,
  body: unknown,
  isRefresh: boolean,
  request?: RequestOf,
  headers?: Headers,
  now = Date.now(),
): Failure {
  const code = field(field(body, 'error'), 'code')
  const text = field(field(body, 'error'), 'message')
  const serverCode = typeof code === 'string' ? code : undefined
  const said = typeof text === 'string' && text !== '' ? text : undefined
  const notOurs =
    request !== undefined && serverCode === undefined && said === undefined && status < 500
      ? `${request.method} ${request.url} answered ${status} without a Baton error body: ` +
        `is baseUrl (${JSON.stringify(request.baseUrl)}) the BFF's auth path?`
      : undefined
  const message = said ?? notOurs ?? `The BFF answered ${status}.`
  const options = serverCode === undefined ? { status } : { status, serverCode }
  const kind = classOf(serverCode)
  const retryAfter = status === 429 || status === 503 ? retryAfterOf(headers, body, now) : undefined
  // 5xx (503 store_unavailable) and 408 are passing trouble, never the end of a session; so is
  // a 429 on refresh (the next attempt waits for its Retry-After). A 429 on login is the answer to
  // show: `rate_limited`.
  if (kind === 'transient' || status >= 500 || status === 408 || (status === 429 && isRefresh)) {
    return { kind: 'network', error: new RefreshNetworkError(message, { ...options, retryAfter }) }
  }
  if (status === 429 || serverCode === 'rate_limited') {
    return { kind: 'rejected', error: new RateLimitedError(message, { ...options, retryAfter }) }
  }
  const mfa = serverCode === 'mfa_required' ? mfaOf(body) : null
  if (mfa) return { kind: 'rejected', error: new MfaRequiredError(mfa, { ...options, message }) }
  const challenge = isRefresh ? null : challengeFromBody(body)
  if (challenge) {
    return {
      kind: 'rejected',
      error: new StepUpRequiredError(challenge, said ? { ...options, message: said } : options),
    }
  }
  // A refused proof is no word on the session (the BFF keeps it): the refresh is refused, like a
  // CSRF failure, rather than the session declared over. `auth-api` retried it once already.
  if (kind === 'ended' || (status === 401 && isRefresh && serverCode !== 'invalid_dpop_proof')) {
    const reason = kind === 'ended' ? (serverCode as SessionEndCode) : 'no_session'
    const error = new SessionExpiredError(reason, said ? { ...options, message: said } : options)
    return { kind: 'ended', error }
  }
  // rate_limited and step_up_required were answered above, with their own classes.
  // An `mfa_required` without its ticket cannot be completed: a refusal this client cannot use.
  const known =
    kind === 'rejected' && serverCode !== 'mfa_required'
      ? (serverCode as Exclude<RejectedCode, 'rate_limited' | 'step_up_required' | 'mfa_required'>)
      : 'request_failed'
  return { kind: 'rejected', error: new BatonError(known, message, options) }
}

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

  const call = async (
    route: 'login' | 'refresh' | 'logout' | 'reauthenticate' | 'loginMfa' | 'login/passkey',
    json?: unknown,
    activity?: boolean,
    bearer?: string,
  ): Promise<AuthOutcome<TUser> | { kind: 'ok' }> => {
    const url = `${config.baseUrl}/${route === 'login/passkey' ? route : AUTH_ROUTES[route]}`
    // A passkey sign-in is a sign-in (a new key); the second step of one signs with the key its
    // password step made, so the ticket and the session it becomes belong to one device.
    const signer = route === 'login/passkey' ? 'login' : route === 'loginMfa' ? 'refresh' : route
    const send = async (retry: boolean) => {
      const headers: Record<string, string> = { [CSRF_HEADER]: CSRF_HEADER_VALUE }
      if (json !== undefined) headers['content-type'] = 'application/json'
      if (activity) headers[ACTIVITY_HEADER] = '1'
      // A retry signs with the key the first attempt used (a sign-in's new key included), or with
      // a new one if the first went unsigned for want of a key (see `dpop.ts`).
      const proof = await dpop?.cookieProof(
        retry ? 'refresh' : signer,
        url,
        bearer,
        retry || route === 'loginMfa',
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
      keyCreated = !proof && code === 'invalid_dpop_proof' && signer !== 'login'
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
    if (status === 204) return { kind: 'ok' }
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
    const grant = parseGrant<TUser>(body, config.now())
    if (grant) dpop?.observeToken(grant.accessToken, grant.issuedAt)
    if (grant) return { kind: 'granted', grant }
    return {
      kind: 'network',
      error: new RefreshNetworkError('Unexpected BFF response.', { status }),
    }
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
    abort: () => lifetime.abort(),
  }
}

/** @internal */
export type AuthApi<TUser extends BaseUser> = ReturnType<typeof createAuthApi<TUser>>
