/**
 * @module
 * Baton's typed errors. Every error has a stable `code`, so `switch (error.code)` narrows, and
 * `isBatonError()` recognises them across realms (iframes, duplicated bundles) by a brand.
 */

/** Why a session is over, as the BFF or the user said so. */
export type SessionEndReason =
  'no_session' | 'session_expired' | 'session_revoked' | 'refresh_token_reused' | 'logged_out'

/** Stable codes of every {@link BatonError}. */
export type BatonErrorCode =
  | 'session_expired'
  | 'network_unavailable'
  | 'queue_full'
  | 'client_destroyed'
  | 'invalid_credentials'
  | 'invalid_request'
  | 'payload_too_large'
  | 'csrf_failed'
  | 'rate_limited'
  | 'request_failed'

const BRAND = Symbol.for('baton.error')

/**
 * Base class of Baton's errors.
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
  readonly [BRAND] = true

  constructor(code: TCode, message: string, options?: { status?: number; cause?: unknown }) {
    // Error reads `cause` from the options (ES2022) and ignores `status`.
    super(message, options)
    this.code = code
    this.status = options?.status
  }
}

/**
 * The session is really over (signed out, expired, revoked, or ended after refresh-token reuse):
 * the user has to sign in again. Every tab moves to `unauthenticated`.
 *
 * @example
 * ```ts
 * baton.api.get('notes').catch((error) => {
 *   if (error instanceof SessionExpiredError) showLogin(error.reason === 'refresh_token_reused')
 * })
 * ```
 */
export class SessionExpiredError extends BatonError<'session_expired'> {
  override name = 'SessionExpiredError'
  /** What ended it. */
  readonly reason: SessionEndReason

  constructor(reason: SessionEndReason, options?: { status?: number; cause?: unknown }) {
    super('session_expired', `The session is over (${reason}).`, options)
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
 *   await baton.api.post('notes', { json: note })
 * } catch (error) {
 *   if (error instanceof RefreshNetworkError) keepDraftAndRetryLater(note) // still signed in
 * }
 * ```
 */
export class RefreshNetworkError extends BatonError<'network_unavailable'> {
  override name = 'RefreshNetworkError'

  constructor(
    message = 'The session service is unreachable.',
    options?: { status?: number; cause?: unknown },
  ) {
    super('network_unavailable', message, options)
  }
}

/**
 * True for any Baton error, also one made by another copy of this package (an iframe, a second
 * bundle), where `instanceof` fails.
 *
 * @example
 * ```ts
 * if (isBatonError(error)) {
 *   switch (error.code) {
 *     case 'session_expired': return showLogin()
 *     case 'network_unavailable': return showOfflineBanner()
 *   }
 * }
 * ```
 */
export const isBatonError = (value: unknown): value is BatonError =>
  typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true
