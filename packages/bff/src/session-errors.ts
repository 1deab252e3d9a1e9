/**
 * @module
 * The answers of the session protocol when a session cannot go on, written once so that refresh,
 * login and logout spell them the same.
 * @internal
 */
import type { SessionEndCode } from '@baton/protocol'
import { BffError } from './errors.js'
import type { StoredSession } from './stores/types.js'

/** @internal A `401` that tells the client the session is over. */
export const unauthorized = (code: SessionEndCode, message: string) =>
  new BffError(401, code, message)

/** @internal No refresh cookie at all. */
export const noCookie = () => unauthorized('no_session', 'No refresh cookie was sent; sign in.')

/**
 * @internal A cookie that names no session the BFF knows, or that it did not mint. One answer for
 * both, so that nobody can probe which session ids exist.
 */
export const invalidCookie = () =>
  unauthorized('no_session', 'The refresh cookie is not valid; sign in.')

/**
 * @internal The refresh cookie's name came more than once: one of them was planted by another
 * Domain or Path, and the BFF cannot tell which, so it takes neither.
 */
export const cookieConflict = () =>
  unauthorized('no_session', 'The refresh cookie was sent more than once; sign in again.')

/** @internal A known session past its idle or absolute deadline. */
export const expired = () =>
  unauthorized('session_expired', 'The session has expired; sign in again.')

/** @internal A rotated-out token came back: its family has been ended. */
export const reused = () =>
  unauthorized(
    'refresh_token_reused',
    'This refresh token was already used; the session has been ended.',
  )

/** @internal `validateSession` refused the session, which has been revoked. */
export const userInvalid = () =>
  unauthorized('session_revoked', 'The session is no longer valid; sign in again.')

/**
 * @internal `validateSession` failed: a 503 like a store outage, so the client keeps the session
 * and retries, and the cause is logged. Never a pass (a disabled user would keep refreshing) and
 * never a 500 (the client would give up on a session that may well be valid).
 */
export const sessionCheckFailed = (cause: unknown) =>
  new BffError(503, 'store_unavailable', 'The session could not be checked; try again shortly.', {
    cause,
    headers: { 'retry-after': '1' },
  })

/** @internal The answer to a token of a session that has already ended, by why it ended. */
export function endFor(session: Pick<StoredSession, 'revokedReason'>): BffError {
  switch (session.revokedReason) {
    case 'reuse_detected':
      return unauthorized(
        'refresh_token_reused',
        'This session was ended because its refresh token was reused.',
      )
    case 'expired':
      return expired()
    default:
      return unauthorized('session_revoked', 'The session was signed out; sign in again.')
  }
}
