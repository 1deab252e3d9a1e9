/**
 * @module
 * What each `error.code` of the BFF means to the client, in one exhaustive table: a code added to
 * `@baton/protocol` does not compile here until it is classified.
 */
import type { ErrorCode } from '@baton/protocol'

/**
 * - `ended`: the session is over; only a new sign-in helps.
 * - `transient`: the server is in trouble; keep the session and try again later.
 * - `rejected`: this request was refused; retrying it as is cannot help.
 */
export type CodeClass = 'ended' | 'transient' | 'rejected'

/** @internal */
export const CODE_CLASSES = {
  invalid_request: 'rejected',
  payload_too_large: 'rejected',
  invalid_credentials: 'rejected',
  csrf_failed: 'rejected',
  no_session: 'ended',
  session_expired: 'ended',
  session_revoked: 'ended',
  refresh_token_reused: 'ended',
  invalid_token: 'rejected',
  not_found: 'rejected',
  rate_limited: 'rejected',
  step_up_required: 'rejected',
  session_limit: 'rejected',
  // A proof the BFF refused: never the session's end (the BFF keeps it, and a clock or a bug must
  // not sign anyone out), but no passing trouble either. The client has already retried once with
  // a fresh proof when the server's clock explained it; what is left (a proxy changing the URL, a
  // bug) cannot heal by retrying, so the refresh stops there instead of looping (`auth-api.ts`).
  invalid_dpop_proof: 'rejected',
  // Answered at once by a retry with the nonce; a BFF that asks again right after is in trouble
  // (instances disagreeing on the nonce secret): back off and try later, as for a 503.
  use_dpop_nonce: 'transient',
  mfa_required: 'rejected',
  provider_unavailable: 'transient',
  store_unavailable: 'transient',
  jwks_unavailable: 'transient',
  internal: 'transient',
} as const satisfies Record<ErrorCode, CodeClass>

/** The wire codes of one class. */
export type CodesOf<TClass extends CodeClass> = {
  [K in ErrorCode]: (typeof CODE_CLASSES)[K] extends TClass ? K : never
}[ErrorCode]

/** Wire codes a request can be refused with; each becomes a `BatonError` of that code. */
export type RejectedCode = CodesOf<'rejected'>

/** @internal The class of a code the BFF sent, `undefined` for a code this client does not know. */
export const classOf = (code: string | undefined): CodeClass | undefined =>
  code !== undefined && Object.hasOwn(CODE_CLASSES, code)
    ? CODE_CLASSES[code as ErrorCode]
    : undefined
