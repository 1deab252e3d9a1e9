/**
 * Every `error.code` the BFF can answer with, in one list: the union and the runtime sets on both
 * sides are derived from it, so a code added here is a compile error wherever it is not handled.
 */
export const ERROR_CODES = [
  'invalid_request',
  'payload_too_large',
  'invalid_credentials',
  'csrf_failed',
  'no_session',
  'session_expired',
  'session_revoked',
  'refresh_token_reused',
  'invalid_token',
  'not_found',
  'rate_limited',
  'step_up_required',
  'session_limit',
  'invalid_dpop_proof',
  'use_dpop_nonce',
  'mfa_required',
  'provider_unavailable',
  'store_unavailable',
  'jwks_unavailable',
  'internal',
] as const

/** A stable `error.code` of a BFF error response. */
export type ErrorCode = (typeof ERROR_CODES)[number]

/**
 * The codes of a `401` from `POST /refresh`: the session is over and only a new sign-in helps.
 * Every other refusal of a refresh is passing trouble or a misconfiguration.
 * - `no_session`: no refresh cookie; one the BFF did not mint; one naming a session the BFF does
 *   not know (never created, or forgotten after its deadlines: one answer for both, so the code
 *   tells nobody which session ids exist); or the cookie's name sent more than once (a cookie
 *   planted beside the real one is never guessed between).
 * - `session_expired`: a session the BFF knows, past its idle or absolute deadline.
 * - `session_revoked`: signed out, revoked from another session or by the application (a
 *   disabled user), or replaced by a new sign-in in the same browser.
 * - `refresh_token_reused`: a rotated-out refresh token came back; the whole session was ended.
 */
export const SESSION_END_CODES = [
  'no_session',
  'session_expired',
  'session_revoked',
  'refresh_token_reused',
] as const satisfies readonly ErrorCode[]

/** Why the BFF says a session is over. */
export type SessionEndCode = (typeof SESSION_END_CODES)[number]

/**
 * Codes that mean "the server is in trouble, try again": a client keeps the session and backs off.
 */
export const TRANSIENT_CODES = [
  'store_unavailable',
  'provider_unavailable',
  'jwks_unavailable',
  'internal',
] as const satisfies readonly ErrorCode[]

/** The JSON body of every error response: `{ "error": { "code", "message" } }`. */
export interface ErrorBody<TCode extends string = ErrorCode> {
  error: { code: TCode; message: string }
}

/**
 * The body of `401 step_up_required` (RFC 9470): the token is valid but the user proved who they
 * are too long ago (`maxAge`, seconds) or too weakly (`acrValues`) for this route. The same
 * values are in the `WWW-Authenticate: Bearer error="insufficient_user_authentication"` challenge.
 * The client answers it with `POST {base}/reauthenticate` and retries.
 */
export interface StepUpErrorBody {
  error: {
    code: 'step_up_required'
    message: string
    /** The most seconds since the user last proved who they are that the route accepts. */
    maxAge?: number
    /** Authentication context classes the route accepts, any of them. */
    acrValues?: string[]
  }
}

/**
 * The body of `429 rate_limited`; `retryAfter` (seconds) repeats the `Retry-After` header.
 */
export interface RateLimitedErrorBody {
  error: { code: 'rate_limited'; message: string; retryAfter: number }
}
