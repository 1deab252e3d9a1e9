/**
 * @module
 * The `FactorStore` contract: where second factors (TOTP secrets, passkeys, recovery codes) and the
 * short-lived records of a sign-in in progress (tickets, WebAuthn challenges) live. Baton does not
 * own the user table, so a session store offers this as a capability (`SessionStore.factorStore`),
 * on the same backend as the sessions. Every store passes the shared suite in
 * `test/mfa-store-contract.ts`.
 *
 * Stores hold data and offer a few atomic primitives (a TOTP time step that only moves forward, a
 * passkey counter that only grows, a recovery code or a pending record taken once); the rules of
 * second factors live once, in `mfa/`.
 */
import type { SessionUser } from '@baton/protocol'

/** A passkey's public part, as `@simplewebauthn/server` verified it at registration. */
export interface StoredPasskey {
  /** The credential id, base64url. */
  credentialId: string
  /** The COSE public key, base64url. */
  publicKey: string
  /** The transports the browser reported (`internal`, `hybrid`, `usb`, …), as hints. */
  transports: string[]
  /** `multiDevice`: a synced passkey (the WebAuthn backup-eligible flag). */
  deviceType: 'singleDevice' | 'multiDevice'
  /**
   * The user as `authenticate` returned them when the passkey was registered: a passwordless
   * sign-in has no `authenticate` call to ask, so the session starts with this (and
   * `validateSession` checks it at every refresh).
   */
  user: SessionUser
}

/** One enrolled (or, for TOTP, pending) second factor. */
export interface StoredFactor {
  /** Random, base64url. */
  id: string
  userId: string
  method: 'totp' | 'passkey'
  label: string
  /** Epoch ms. */
  createdAt: number
  /** Epoch ms of the first code (TOTP); `null` while an enrolment waits for it. Passkeys: `createdAt`. */
  confirmedAt: number | null
  /** Epoch ms of the last successful use. */
  lastUsedAt: number | null
  /** TOTP: the last time step accepted (RFC 6238 §5.2: a code is accepted once); `-1` none. */
  lastStep: number
  /** Passkeys: the signature counter last seen (`0` for authenticators that keep none). */
  counter: number
  /** Passkeys: the backup-state flag last seen (synced to another device). */
  backedUp: boolean
  /** TOTP: the shared secret, sealed with the configured key (a compact JWE); never plain. */
  sealedSecret: string | null
  /** Passkeys: the credential; `null` for TOTP. */
  passkey: StoredPasskey | null
}

/**
 * Where factors live. Every method is async; a store that cannot reach its backend throws the
 * error made by `storeUnavailable(cause)` (HTTP 503 `store_unavailable`). Methods that write
 * receive `now` so a store can turn deadlines into TTLs on the BFF's clock.
 */
export interface FactorStore {
  /** Adds a factor. Ids are random, so a collision is a bug and may throw. */
  createFactor(factor: StoredFactor, now: number): Promise<void>
  /** The user's factors, pending ones included, oldest first (ties by id). */
  listFactors(userId: string): Promise<StoredFactor[]>
  /** Removes a factor of this user; `false` when there was none. */
  deleteFactor(userId: string, factorId: string): Promise<boolean>
  /**
   * Atomically accepts TOTP time step `step` for the factor: if, and only if, it exists, is a
   * TOTP factor, is pending (`confirm`) or confirmed (not `confirm`), and `step` is later than its
   * `lastStep`. Then `lastStep` = `step`, `lastUsedAt` = `now` (and `confirmedAt` = `now` when
   * confirming). Returns whether it did: `false` is a replay (or a race lost to the same code).
   */
  acceptTotpStep(
    userId: string,
    factorId: string,
    step: number,
    now: number,
    confirm: boolean,
  ): Promise<boolean>
  /**
   * Atomically records a passkey assertion: if, and only if, the passkey exists and `counter` is
   * greater than the stored one (or both are `0`: an authenticator without a counter), stores
   * `counter`, `backedUp` and `lastUsedAt` = `now`. `false` means a counter that went back (a
   * cloned authenticator, or the same assertion twice).
   */
  recordPasskeyUse(
    userId: string,
    factorId: string,
    counter: number,
    backedUp: boolean,
    now: number,
  ): Promise<boolean>
  /** Replaces every recovery code of the user with `hashes` (an empty list removes them). */
  replaceRecoveryCodes(userId: string, hashes: readonly string[], now: number): Promise<void>
  /** Atomically removes one recovery code by its hash; `true` to the one call that removed it. */
  useRecoveryCode(userId: string, hash: string, now: number): Promise<boolean>
  /** How many unused recovery codes the user has. */
  countRecoveryCodes(userId: string): Promise<number>
  /** Keeps `value` under `key` until `expiresAt` (epoch ms), replacing any record of that key. */
  putPending(key: string, value: string, expiresAt: number, now: number): Promise<void>
  /** The value under `key` if it has not expired, else `null`. */
  getPending(key: string, now: number): Promise<string | null>
  /** Atomically reads and deletes the value under `key`: only one caller ever gets it. */
  takePending(key: string, now: number): Promise<string | null>
  /**
   * Atomically counts one try against the record under `key` (before its answer is judged), or
   * with `by` -1 gives one back (its answer was never judged: a store failure, a malformed
   * answer); returns the tries so far, or `null` when the record is gone (taken or expired).
   */
  failPending(key: string, now: number, by?: 1 | -1): Promise<number | null>
}

/** @internal The order of `listFactors`: oldest first, ties by id, the same in every store. */
export const byFactorCreation = (a: StoredFactor, b: StoredFactor) =>
  a.createdAt - b.createdAt || a.id.localeCompare(b.id)

/** @internal Whether a passkey counter may move from `stored` to `next` (WebAuthn L3 §6.1.1). */
export const counterAdvances = (stored: number, next: number) =>
  next > stored || (next === 0 && stored === 0)

/**
 * @internal A store's `factorStore` method: made on the first call, then shared by every BFF on
 * that store instance.
 */
export function sharedFactorStore(make: () => FactorStore): () => FactorStore {
  let store: FactorStore | undefined
  return () => (store ??= make())
}

// The bodies of the factor routes are part of the wire contract.
export type {
  PasskeyRegistrationBody,
  ReauthenticateFactorBody,
  RecoveryCodesBody,
  TotpConfirmedBody,
  TotpEnrolmentBody,
} from '@baton/protocol'
