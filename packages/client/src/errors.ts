/**
 * @module
 * Baton's typed errors. Every error has a stable `code`; `isBatonError()` narrows to
 * {@link AnyBatonError}, so `switch (error.code)` narrows to the subclass, and it recognises them
 * across realms (iframes, duplicated bundles) by a brand.
 */
import type { BaseUser, FactorMethod, PasskeyAssertion, TabEndReason } from '@baton/protocol'
import type { RejectedCode } from './auth-codes.js'
import { isObject } from './grant.js'
import type { RegisteredUser } from './register.js'

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

/**
 * Too many attempts (`429 rate_limited`), typically signing in: show `message` (the BFF's own
 * words) and, when the BFF said how long, let the user try again after `retryAfter` seconds. A
 * 429 on a background refresh is never this error: the client backs off and keeps the session.
 *
 * @example
 * ```ts
 * try {
 *   await baton.login({ username, password })
 * } catch (error) {
 *   if (isBatonError(error) && error.code === 'rate_limited')
 *     showError(`${error.message} Try again in ${error.retryAfter ?? 60} s.`)
 * }
 * ```
 */
export class RateLimitedError extends BatonError<'rate_limited'> {
  override name = 'RateLimitedError'
  /** Seconds to wait before trying again (`Retry-After`), when the BFF said so. */
  readonly retryAfter: number | undefined

  constructor(
    message = 'Too many attempts.',
    options?: BatonErrorOptions & { retryAfter?: number | undefined },
  ) {
    super('rate_limited', message, options)
    this.retryAfter = options?.retryAfter
  }
}

/**
 * What an API route asks of the user before it answers (RFC 9470 step-up): a more recent sign-in
 * (`maxAge`) or a stronger one (`acrValues`).
 */
export interface StepUpChallenge {
  /** The most seconds since the user last proved who they are that the route accepts. */
  maxAge?: number
  /** Authentication context classes the route accepts, any of them. */
  acrValues?: string[]
}

/**
 * An API route wants the user to prove who they are again (`401` with `WWW-Authenticate: Bearer
 * error="insufficient_user_authentication"`, RFC 9470; code `step_up_required`). `baton.fetch`
 * does not reject with it at once: the request waits while `store.stepUp` is set, and is retried
 * after `reauthenticate()` in any tab. It rejects with this error when the step-up is cancelled
 * (`cancelStepUp()`) or not done within `stepUpTimeout`; a `baton.sessions` call that still needs
 * it after one step-up rejects with it too.
 *
 * @example
 * ```ts
 * try {
 *   await baton.sessions.revokeOthers()
 * } catch (error) {
 *   if (error instanceof StepUpRequiredError) showNotice('Not signed out: password not confirmed.')
 * }
 * ```
 */
export class StepUpRequiredError extends BatonError<'step_up_required'> {
  override name = 'StepUpRequiredError'
  /** The most seconds since the user last proved who they are that the route accepts. */
  readonly maxAge: number | undefined
  /** Authentication context classes the route accepts, any of them. */
  readonly acrValues: readonly string[] | undefined

  constructor(challenge: StepUpChallenge = {}, options?: BatonErrorOptions & { message?: string }) {
    super(
      'step_up_required',
      options?.message ?? 'Confirm who you are to continue (step-up authentication).',
      options,
    )
    this.maxAge = challenge.maxAge
    this.acrValues = challenge.acrValues
  }
}

/**
 * What proves a second factor, to finish a sign-in ({@link MfaRequiredError.complete}) or a
 * step-up (`reauthenticate()`): a code of the authenticator app, an unused recovery code, or a
 * passkey assertion (`@baton/client/passkeys` makes one).
 */
export type FactorProof =
  | { method: 'totp'; code: string }
  | { method: 'recovery_code'; code: string }
  | { method: 'passkey'; assertion: PasskeyAssertion }

/** The pending second step of a sign-in, as the BFF described it (`401 mfa_required`). */
export interface MfaChallenge {
  /** Names the pending sign-in (short-lived, single use); no session exists yet. */
  readonly ticket: string
  /** What this user can finish the sign-in with. */
  readonly methods: readonly FactorMethod[]
  /** When the ticket is refused, epoch ms on the BFF's clock. */
  readonly expiresAt: number
}

/**
 * The password was right and the user has a second factor (`401 mfa_required`): no session
 * exists yet. Ask for one of `methods` and call {@link MfaRequiredError.complete}, which finishes
 * the sign-in like `login()` (every tab is signed in) and resolves with the user. A wrong code
 * rejects with `invalid_credentials` and the ticket stays usable, so the user can try again; an
 * expired or used ticket rejects with `SessionExpiredError`: start again with the password.
 *
 * `login()` keeps resolving with the user for everyone without a second factor, so apps that
 * never enable one are unchanged; one that does gets this error, typed, where it already catches.
 *
 * @example
 * ```ts
 * try {
 *   await baton.login({ username, password })
 * } catch (error) {
 *   if (!(isBatonError(error) && error.code === 'mfa_required')) throw error
 *   const code = await askForCode(error.methods) // e.g. a six-digit TOTP code
 *   await error.complete({ method: 'totp', code })
 * }
 * ```
 */
export class MfaRequiredError<TUser extends BaseUser = RegisteredUser>
  extends BatonError<'mfa_required'>
  implements MfaChallenge
{
  override name = 'MfaRequiredError'
  // Declared, not initialised: the constructor assigns them all at once (fewer bytes in the core).
  declare readonly ticket: string
  declare readonly methods: readonly FactorMethod[]
  declare readonly expiresAt: number
  /**
   * Finishes the sign-in with a second factor (`POST {base}/login/mfa`) and resolves with the
   * user, as `login()` does. Rejects with `invalid_credentials` for a wrong or reused code (try
   * again), `SessionExpiredError` for an expired or used ticket, `rate_limited`, …. Only the
   * errors `login()` rejects with can: it holds the cross-tab lock and the device key the
   * sign-in needs. On one made otherwise, it rejects with `request_failed`.
   */
  declare readonly complete: (proof: FactorProof) => Promise<TUser>

  constructor(
    challenge: MfaChallenge,
    options?: BatonErrorOptions & {
      message?: string
      complete?: (proof: FactorProof) => Promise<TUser>
    },
  ) {
    super('mfa_required', options?.message ?? 'A second factor is required.', options)
    const { ticket, methods, expiresAt } = challenge
    Object.assign(this, {
      ticket,
      methods,
      expiresAt,
      complete:
        options?.complete ??
        (() => Promise.reject(new BatonError('request_failed', 'Not from login().'))),
    })
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
