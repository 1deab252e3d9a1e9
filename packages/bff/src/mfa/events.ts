/**
 * @module
 * The audit events of second factors, part of `BffEvent`.
 */
import type { FactorMethod } from '@baton/protocol'

interface MfaEventBase {
  /** Epoch ms. */
  at: number
  ip: string | null
  userAgent: string | null
  userId: string
}

interface FactorChange extends MfaEventBase {
  method: FactorMethod
  /** The factor's id; `null` for recovery codes. */
  factorId: string | null
}

/**
 * A factor was added (a TOTP enrolment confirmed, a passkey registered), or the recovery codes
 * were generated (`method` `recovery_code`). Tell the user by another channel: an attacker
 * holding a session would add a factor of their own.
 */
export interface FactorAddedEvent extends FactorChange {
  type: 'factor_added'
}

/** A factor was removed (the last one takes the recovery codes with it). */
export interface FactorRemovedEvent extends FactorChange {
  type: 'factor_removed'
}

/** Password login answered `401 mfa_required`: a ticket was issued. */
export interface MfaChallengedEvent extends MfaEventBase {
  type: 'mfa_challenged'
  route: 'login'
  method: null
  reason: 'challenged'
}

/**
 * A second factor was refused at `POST {base}/login/mfa`, `POST {base}/login/passkey` or
 * `POST {base}/reauthenticate`. `reason`: `invalid` (a wrong or reused code, a bad assertion),
 * `too_many_tries` (the ticket was ended). `userId` is `''` for a passwordless attempt whose
 * passkey named nobody.
 */
export interface MfaFailedEvent extends MfaEventBase {
  type: 'mfa_failed'
  route: 'login_mfa' | 'login_passkey' | 'reauthenticate'
  method: FactorMethod
  reason: 'invalid' | 'too_many_tries'
}

/** @internal Every event of second factors. */
export type MfaEvent = FactorAddedEvent | FactorRemovedEvent | MfaChallengedEvent | MfaFailedEvent
