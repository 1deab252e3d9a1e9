/**
 * The wire contract of second factors (TOTP, recovery codes, passkeys): password login answering
 * `401 mfa_required` with a ticket, `POST {base}/login/mfa` completing it, enrolment under
 * `{base}/factors`, and step-up with a factor through `POST {base}/reauthenticate`.
 */

/** A second factor a user can have. */
export type FactorMethod = 'totp' | 'recovery_code' | 'passkey'

/**
 * The body of `401 mfa_required` from `POST {base}/login`: the password was right and the user has
 * a second factor. `ticket` is short-lived and single use; it names the pending sign-in, nothing
 * else (no session exists yet). `methods` lists what this user can complete it with.
 */
export interface MfaRequiredErrorBody {
  error: {
    code: 'mfa_required'
    message: string
    ticket: string
    methods: FactorMethod[]
    /** Epoch ms after which the ticket is refused, on the server's clock. */
    expiresAt: number
    /** Whole seconds until the ticket is refused: immune to a device clock that is off. */
    expiresIn: number
  }
}

/**
 * What `POST {base}/login/mfa` takes: the ticket and one proof. Answers `200` `GrantBody` (the
 * session starts, with `amr` saying what was used), `401 invalid_credentials` (wrong or reused
 * code; the ticket stays usable until it expires or too many tries), `401 session_expired` for a
 * ticket that is unknown, used or expired, or while another answer to it is being checked (send
 * one answer at a time).
 */
export type LoginMfaBody =
  | { ticket: string; method: 'totp'; code: string }
  | { ticket: string; method: 'recovery_code'; code: string }
  | { ticket: string; method: 'passkey'; assertion: PasskeyAssertion }

/**
 * A WebAuthn assertion as `@simplewebauthn/browser`'s `startAuthentication()` returns it
 * (`AuthenticationResponseJSON`), kept structural here so the protocol needs no dependency.
 */
export interface PasskeyAssertion {
  id: string
  rawId: string
  type: 'public-key'
  response: {
    clientDataJSON: string
    authenticatorData: string
    signature: string
    userHandle?: string
  }
  clientExtensionResults: Record<string, unknown>
  authenticatorAttachment?: string
}

/** One enrolled factor, as `GET {base}/factors` lists it (no secret, ever). */
export interface FactorSummary {
  id: string
  method: 'totp' | 'passkey'
  /** A name the user gave it, or the authenticator's. */
  label: string
  createdAt: number
  lastUsedAt: number | null
  /** Passkeys: synced to other devices by their provider (the WebAuthn backup-state flag). */
  backedUp?: boolean
}

/** What `GET {base}/factors` answers with. */
export interface FactorListBody {
  factors: FactorSummary[]
  /** How many unused recovery codes remain (the codes themselves are shown once). */
  recoveryCodesLeft: number
}

/**
 * What `POST {base}/reauthenticate` also takes when the BFF has second factors: a factor instead
 * of the password. The step-up then records the factor alone in `amr` (`['otp']`, or
 * `['hwk'|'swk']` plus `'mfa'` when the passkey verified the user) and `acr` `'mfa'`.
 */
export type ReauthenticateFactorBody =
  { method: 'totp'; code: string } | { method: 'passkey'; assertion: PasskeyAssertion }

/** What `POST {base}/factors/totp` answers (201): the only time the secret leaves the BFF. */
export interface TotpEnrolmentBody {
  id: string
  label: string
  /** Base32, for typing into an app by hand. */
  secret: string
  /** `otpauth://totp/…`, for a QR code. */
  uri: string
}

/**
 * What `POST {base}/factors/totp/:id/confirm` (`{ code }`) answers: the factor, and for a user's
 * first factor the ten recovery codes, shown this once.
 */
export interface TotpConfirmedBody {
  factor: FactorSummary
  recoveryCodes?: string[]
}

/** What `POST {base}/factors/recovery-codes` answers: ten new codes; the old ones are void. */
export interface RecoveryCodesBody {
  recoveryCodes: string[]
}

/** What `POST {base}/factors/passkey` takes: `startRegistration()`'s result and a label. */
export interface PasskeyRegistrationBody {
  response: Record<string, unknown>
  label?: string
}
