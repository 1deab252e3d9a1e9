/**
 * @module
 * The errors that refuse one request, not the session: too many attempts (`rate_limited`), a
 * route that wants the user to prove who they are again (`step_up_required`, RFC 9470), a sign-in
 * that needs a second factor (`mfa_required`). Each carries what the user can do about it (wait
 * `retryAfter`, a step-up challenge, the pending sign-in and its `complete()`); the session, if
 * any, stays as it was.
 */
import type { BaseUser, FactorMethod, PasskeyAssertion } from '@baton/protocol'
import { BatonError, type BatonErrorOptions } from './errors.js'
import type { RegisteredUser } from './register.js'

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
  /**
   * When the ticket is refused, epoch ms on this device's clock (taken from the BFF's `expiresIn`
   * when the answer came), so a timer on `Date.now()` drops it on time.
   */
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
