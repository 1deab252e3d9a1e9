/**
 * @module
 * One exchange with the BFF and what its answer means: `exchange()` sends a call bounded by
 * `requestTimeout` and never throws, and `failureOf()` is the one reading of a BFF error body
 * (`{ error: { code, message } }`, its status, `Retry-After`), which turns a refusal into a typed
 * error and a class (session over, network trouble, request refused). Shared by the cookie routes
 * (`auth-api.ts`), the session routes and the second-factor subpaths.
 */
import type { MfaRequiredErrorBody, SessionEndCode } from '@baton/protocol'
import { classOf, type RejectedCode } from './auth-codes.js'
import {
  BatonError,
  RefreshNetworkError,
  SessionExpiredError,
  type AnyBatonError,
} from './errors.js'
import { isId, isObject, type Unchecked } from './grant.js'
import type { ClientConfig } from './options.js'
import { MfaRequiredError, RateLimitedError, StepUpRequiredError } from './request-errors.js'
import { challengeFromBody } from './step-up-challenge.js'
import { clearTimer, setTimer } from './timers.js'

/** @internal */
export type Failure =
  | { kind: 'ended'; error: SessionExpiredError }
  | { kind: 'network'; error: RefreshNetworkError }
  | { kind: 'rejected'; error: Exclude<AnyBatonError, SessionExpiredError | RefreshNetworkError> }

/** @internal `value[key]` when `value` is an object, else `undefined`. */
export const field = (value: unknown, key: string): unknown =>
  isObject(value) ? value[key] : undefined

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
  // An aborted signal fires no 'abort' again: a call that waited (for the lock, for its proof)
  // past destroy() would otherwise go out, and nothing could stop it.
  if (lifetime?.aborted) return { failed: lifetime.reason }
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

/**
 * The pending sign-in of a `401 mfa_required` body, `null` when the body does not hold one. Its
 * `expiresAt` is on this device's clock, from `expiresIn` (the BFF's own `expiresAt` where an
 * older BFF sends no `expiresIn`): a clock minutes off would drop the challenge early or keep it
 * past the ticket.
 */
const mfaOf = (body: unknown, now: number) => {
  const { ticket, methods, expiresAt, expiresIn } = (field(body, 'error') ?? {}) as Unchecked<
    MfaRequiredErrorBody['error']
  >
  if (!isId(ticket) || !Array.isArray(methods) || typeof expiresAt !== 'number') return null
  return {
    ticket,
    methods: methods as MfaRequiredErrorBody['error']['methods'],
    expiresAt:
      typeof expiresIn === 'number' && Number.isFinite(expiresIn)
        ? now + Math.max(0, expiresIn) * 1000
        : expiresAt,
  }
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
  const mfa = serverCode === 'mfa_required' ? mfaOf(body, now) : null
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
