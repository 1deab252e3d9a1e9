/**
 * @module
 * Baton's typed errors: the base class with its stable `code`, the two errors about the session
 * itself (it is over; the BFF cannot be reached), and {@link isBatonError}, which narrows to
 * {@link AnyBatonError}, so `switch (error.code)` narrows to the subclass, and recognises them
 * across realms (iframes, duplicated bundles) by a brand. The errors that refuse one request and
 * ask something of the user are in `request-errors.ts`.
 */
import type { TabEndReason } from '@baton/protocol'
import type { RejectedCode } from './auth-codes.js'
import { isObject } from './grant.js'
import type { MfaRequiredError, RateLimitedError, StepUpRequiredError } from './request-errors.js'

/** Why a session is over, as the BFF or the user said so. */
export type SessionEndReason = TabEndReason

/**
 * Stable codes of every {@link BatonError}: the client's own, plus every wire code with which the
 * BFF refuses a request (`invalid_credentials`, `csrf_failed`, `not_found`, …).
 *
 * `session_expired` means "the session is over", whatever ended it (see
 * {@link SessionExpiredError.reason}); `request_failed` is a refusal the client does not know,
 * with the BFF's code kept in {@link BatonError.serverCode}.
 */
export type BatonErrorCode =
  | 'session_expired'
  | 'network_unavailable'
  | 'queue_full'
  | 'client_destroyed'
  | 'request_failed'
  | RejectedCode

/** What a {@link BatonError} may carry besides its code and message. */
export interface BatonErrorOptions {
  /** The HTTP status of the BFF response behind the error. */
  status?: number
  /** The BFF's `error.code`, as sent. */
  serverCode?: string
  cause?: unknown
}

const BRAND = Symbol.for('baton.error')

/**
 * Base class of Baton's errors. Catch with {@link isBatonError} to get the narrowing union.
 *
 * @example
 * ```ts
 * try {
 *   await baton.login({ username, password })
 * } catch (error) {
 *   if (isBatonError(error) && error.code === 'invalid_credentials') showWrongPassword()
 * }
 * ```
 */
export class BatonError<TCode extends BatonErrorCode = BatonErrorCode> extends Error {
  override name = 'BatonError'
  readonly code: TCode
  /** The HTTP status of the BFF response behind this error, when there was one. */
  readonly status: number | undefined
  /**
   * The BFF's own `error.code`, when its answer had one. Kept also for a code this version of the
   * client does not know (its `code` is then `request_failed`), so nothing the server said is lost.
   */
  readonly serverCode: string | undefined
  readonly [BRAND] = true

  constructor(code: TCode, message: string, options?: BatonErrorOptions) {
    // Error reads `cause` from the options (ES2022) and ignores the rest.
    super(message, options)
    this.code = code
    this.status = options?.status
    this.serverCode = options?.serverCode
  }
}

/** @internal What a call to a destroyed client rejects with. */
export const destroyedError = () => new BatonError('client_destroyed', 'Client destroyed.')

/**
 * The session is really over (signed out, expired, revoked, or ended after refresh-token reuse):
 * the user has to sign in again. Every tab moves to `unauthenticated`.
 *
 * @example
 * ```ts
 * baton.fetch('/api/notes').catch((error) => {
 *   if (error instanceof SessionExpiredError) showLogin(error.reason === 'refresh_token_reused')
 * })
 * ```
 */
export class SessionExpiredError extends BatonError<'session_expired'> {
  override name = 'SessionExpiredError'
  /** What ended it. */
  readonly reason: SessionEndReason

  constructor(reason: SessionEndReason, options?: BatonErrorOptions & { message?: string }) {
    super('session_expired', options?.message ?? `The session is over (${reason}).`, options)
    this.reason = reason
  }
}

/**
 * The BFF could not be reached (network error, timeout, 5xx). The session is NOT over: Baton keeps
 * retrying with backoff, and the status stays as it was.
 *
 * @example
 * ```ts
 * try {
 *   await baton.fetch('/api/notes', { method: 'POST', body: JSON.stringify(note) })
 * } catch (error) {
 *   if (error instanceof RefreshNetworkError) keepDraftAndRetryLater(note) // still signed in
 * }
 * ```
 */
export class RefreshNetworkError extends BatonError<'network_unavailable'> {
  override name = 'RefreshNetworkError'
  /**
   * Seconds the BFF asked to wait before trying again (`Retry-After` of a `429 rate_limited` on
   * refresh, or of a 503), when it said so. The next refresh waits at least that long.
   */
  readonly retryAfter: number | undefined

  constructor(
    message = 'The session service is unreachable.',
    options?: BatonErrorOptions & { retryAfter?: number | undefined },
  ) {
    super('network_unavailable', message, options)
    this.retryAfter = options?.retryAfter
  }
}

/** The codes of the subclasses, each narrowed to its class by {@link AnyBatonError}. */
export type SubclassCode =
  'session_expired' | 'network_unavailable' | 'rate_limited' | 'step_up_required' | 'mfa_required'

/**
 * Every Baton error, as a union that `switch (error.code)` narrows (the jose `AnyJOSEError` way):
 * `session_expired` is a {@link SessionExpiredError} with its `reason`, `network_unavailable` a
 * {@link RefreshNetworkError}, `rate_limited` a {@link RateLimitedError} with its `retryAfter`,
 * `step_up_required` a {@link StepUpRequiredError} with its `maxAge` and `acrValues`,
 * `mfa_required` a {@link MfaRequiredError} with its `ticket`, `methods` and `complete()`.
 *
 * @example
 * ```ts
 * function describe(error: AnyBatonError): string {
 *   switch (error.code) {
 *     case 'session_expired': return `Signed out (${error.reason}).`
 *     case 'network_unavailable': return 'Offline: still signed in, retrying.'
 *     default: return error.message
 *   }
 * }
 * ```
 */
export type AnyBatonError =
  | SessionExpiredError
  | RefreshNetworkError
  | RateLimitedError
  | StepUpRequiredError
  | MfaRequiredError
  | BatonError<Exclude<BatonErrorCode, SubclassCode>>

/**
 * True for any Baton error, also one made by another copy of this package (an iframe, a second
 * bundle), where `instanceof` fails. Narrows to {@link AnyBatonError}.
 *
 * @example
 * ```ts
 * if (isBatonError(error)) {
 *   switch (error.code) {
 *     case 'session_expired': return showLogin(error.reason)
 *     case 'network_unavailable': return showOfflineBanner()
 *   }
 * }
 * ```
 */
export const isBatonError = (value: unknown): value is AnyBatonError =>
  isObject(value) && (value as { [BRAND]?: unknown })[BRAND] === true
