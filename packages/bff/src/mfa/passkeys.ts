/**
 * @module
 * Passkeys (WebAuthn Level 3) through `@simplewebauthn/server`: registration and assertion
 * options, their verification, and the challenges behind them. A challenge is kept in the factor
 * store for `challengeTtl` and taken (atomically, once) by the verification that names it in its
 * client data, so an assertion can be replayed nowhere, not even at another instance.
 * @internal
 */
import type { PasskeyAssertion, SessionUser } from '@baton/protocol'
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server'
import { COSEALG } from '@simplewebauthn/server/helpers'
import type { Context } from 'hono'
import { base64url } from 'jose'
import { BffError } from '../errors.js'
import { usableUserId } from '../user-check.js'
import type { MfaConfig } from './options.js'
import { randomId } from './secrets.js'
import type { StoredFactor } from './types.js'

/** What a challenge was issued for, and to whom. */
export interface ChallengeRecord {
  purpose: 'register' | 'login' | 'mfa' | 'step_up'
  /** The user it was issued to; `null` for a passwordless sign-in (the passkey says who). */
  userId: string | null
  /** `mfa`: the ticket's store key. */
  ticket?: string
}

const invalidRequest = (message: string) => new BffError(400, 'invalid_request', message)
/** One answer for every refused assertion: it tells nobody which check failed. */
export const refusedAssertion = () =>
  new BffError(401, 'invalid_credentials', 'The passkey could not be verified.')

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string')

const B64URL = /^[A-Za-z0-9_-]{1,16384}$/

/** WebAuthn caps a user handle at 64 bytes; a longer one names no user of ours. */
const MAX_USER_HANDLE_BYTES = 64

/**
 * The transports WebAuthn defines (L3 §5.8.4, and `cable`, the earlier name of `hybrid`). The
 * browser reports them as hints, stored in the factor's record: an unknown one is ignored, as the
 * specification asks of relying parties, rather than kept (a NUL in one answered
 * `503 store_unavailable` on PostgreSQL, whose JSONB refuses it).
 */
const TRANSPORTS: ReadonlySet<string> = new Set([
  'ble',
  'cable',
  'hybrid',
  'internal',
  'nfc',
  'smart-card',
  'usb',
])

/** @internal Checks the shape of a `PasskeyAssertion` (the library checks the rest). */
export function readAssertion(value: unknown): PasskeyAssertion {
  const response = isRecord(value) ? value.response : undefined
  if (
    !isRecord(value) ||
    typeof value.id !== 'string' ||
    !B64URL.test(value.id) ||
    value.rawId !== value.id ||
    value.type !== 'public-key' ||
    !isRecord(response) ||
    typeof response.clientDataJSON !== 'string' ||
    typeof response.authenticatorData !== 'string' ||
    typeof response.signature !== 'string' ||
    (response.userHandle !== undefined && typeof response.userHandle !== 'string')
  ) {
    throw invalidRequest(
      'assertion must be a WebAuthn assertion as startAuthentication() returns it.',
    )
  }
  return {
    ...(value as unknown as PasskeyAssertion),
    clientExtensionResults: isRecord(value.clientExtensionResults)
      ? value.clientExtensionResults
      : {},
  }
}

/** @internal The challenge named in a ceremony's client data, or a 400. */
export function challengeOf(clientDataJSON: unknown): string {
  try {
    const data: unknown = JSON.parse(
      new TextDecoder().decode(base64url.decode(String(clientDataJSON))),
    )
    if (isRecord(data) && typeof data.challenge === 'string' && B64URL.test(data.challenge)) {
      return data.challenge
    }
  } catch {
    // Answered below.
  }
  throw invalidRequest('The client data of the passkey response is not valid.')
}

/** @internal The relying party of a request: the configured one, else the request's own. */
export function relyingParty(mfa: MfaConfig, c: Context) {
  const url = new URL(c.req.url)
  return { rpId: mfa.rpId ?? url.hostname, origins: mfa.origins ?? [url.origin] }
}

/** @internal The WebAuthn user handle of `userId`: its UTF-8 bytes (at most 64, §5.4.3). */
export function userHandle(userId: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(userId)
  if (bytes.length > MAX_USER_HANDLE_BYTES) {
    throw invalidRequest('Passkeys need a user id of at most 64 bytes (the WebAuthn user handle).')
  }
  return bytes
}

/** @internal The passkeys of a factor list. */
export const passkeysOf = (factors: StoredFactor[]) =>
  factors.filter(
    (factor): factor is StoredFactor & { passkey: NonNullable<StoredFactor['passkey']> } =>
      factor.passkey !== null,
  )

/**
 * The public-key algorithms a passkey may use (EdDSA, ES256, RS256): the same on every runtime.
 * The library's default adds ML-DSA-44 first where the runtime's WebCrypto has it (Node 24, as an
 * experimental API that prints a warning): a passkey registered there could not be verified by
 * an instance on Node 22, another runtime, or after a rollback, and its user would lose a factor.
 */
const PASSKEY_ALGORITHMS = [COSEALG.EdDSA, COSEALG.ES256, COSEALG.RS256]

/** @internal Registration options for `user`, their challenge kept for one ceremony. */
export async function registrationOptions(
  mfa: MfaConfig,
  c: Context,
  user: SessionUser,
  account: string,
  existing: StoredFactor[],
  now: number,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { rpId } = relyingParty(mfa, c)
  const options = await generateRegistrationOptions({
    rpName: mfa.rpName,
    rpID: rpId,
    userName: account,
    userID: userHandle(user.id),
    userDisplayName: account,
    challenge: randomId(32),
    timeout: mfa.challengeTtlMs,
    attestationType: 'none',
    excludeCredentials: passkeysOf(existing).map(({ passkey }) => ({
      id: passkey.credentialId,
      transports: passkey.transports,
    })),
    // Discoverable, so the same passkey also signs in without a username or password.
    authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    supportedAlgorithmIDs: PASSKEY_ALGORITHMS,
  })
  await keepChallenge(mfa, options.challenge, { purpose: 'register', userId: user.id }, now)
  return options
}

/** @internal Assertion options: for a user's own passkeys, or for any (passwordless). */
export async function assertionOptions(
  mfa: MfaConfig,
  c: Context,
  record: ChallengeRecord,
  existing: StoredFactor[],
  now: number,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const options = await generateAuthenticationOptions({
    rpID: relyingParty(mfa, c).rpId,
    challenge: randomId(32),
    timeout: mfa.challengeTtlMs,
    allowCredentials: passkeysOf(existing).map(({ passkey }) => ({
      id: passkey.credentialId,
      transports: passkey.transports,
    })),
    // Alone, a passkey must be two factors (possession and PIN or biometrics); beside a password
    // possession is enough.
    userVerification: record.purpose === 'login' ? 'required' : 'preferred',
  })
  await keepChallenge(mfa, options.challenge, record, now)
  return options
}

const keepChallenge = (mfa: MfaConfig, challenge: string, record: ChallengeRecord, now: number) =>
  mfa.factors.putPending(`c:${challenge}`, JSON.stringify(record), now + mfa.challengeTtlMs, now)

/** @internal Takes the challenge a response names: once, and only for `purpose`. */
async function takeChallenge(
  mfa: MfaConfig,
  clientDataJSON: unknown,
  purpose: ChallengeRecord['purpose'],
  now: number,
): Promise<{ challenge: string; record: ChallengeRecord }> {
  const challenge = challengeOf(clientDataJSON)
  const stored = await mfa.factors.takePending(`c:${challenge}`, now)
  const record = stored === null ? null : (JSON.parse(stored) as ChallengeRecord)
  if (!record || record.purpose !== purpose) throw refusedAssertion()
  return { challenge, record }
}

/** @internal Verifies a registration response for `userId`; returns the passkey to store. */
export async function verifyRegistration(
  mfa: MfaConfig,
  c: Context,
  userId: string,
  response: unknown,
  now: number,
) {
  if (
    !isRecord(response) ||
    !isRecord(response.response) ||
    // The library keeps `transports` as given: checked here, before the challenge is spent.
    !(response.response.transports === undefined || isStringList(response.response.transports))
  ) {
    throw invalidRequest('response must be a registration as startRegistration() returns it.')
  }
  const { challenge, record } = await takeChallenge(
    mfa,
    response.response.clientDataJSON,
    'register',
    now,
  )
  if (record.userId !== userId) throw refusedAssertion()
  const { rpId, origins } = relyingParty(mfa, c)
  let verified
  try {
    verified = await verifyRegistrationResponse({
      response: response as unknown as RegistrationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: [...origins],
      expectedRPID: rpId,
      requireUserVerification: false,
      supportedAlgorithmIDs: PASSKEY_ALGORITHMS,
    })
  } catch (cause) {
    throw new BffError(400, 'invalid_request', 'The passkey registration is not valid.', { cause })
  }
  if (!verified.verified) throw invalidRequest('The passkey registration is not valid.')
  const info = verified.registrationInfo
  return {
    credentialId: info.credential.id,
    publicKey: base64url.encode(info.credential.publicKey),
    counter: info.credential.counter,
    transports: (info.credential.transports ?? []).filter((transport) => TRANSPORTS.has(transport)),
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
  }
}

/**
 * @internal Verifies an assertion for `purpose`: the challenge is taken first (so a refused
 * assertion cannot be retried either), the passkey found among `factorsOf(userId)`, the signature
 * and counter checked, and the use recorded. Returns the passkey and what it proved.
 */
export async function verifyAssertion(
  mfa: MfaConfig,
  c: Context,
  assertion: PasskeyAssertion,
  purpose: ChallengeRecord['purpose'],
  expected: { userId: string | null; ticket?: string },
  now: number,
) {
  const { challenge, record } = await takeChallenge(
    mfa,
    assertion.response.clientDataJSON,
    purpose,
    now,
  )
  if (record.userId !== expected.userId || record.ticket !== expected.ticket) {
    throw refusedAssertion()
  }
  // Passwordless: the discoverable passkey names its user in the user handle.
  let userId = expected.userId
  if (userId === null) {
    const handle = assertion.response.userHandle
    if (handle === undefined || !B64URL.test(handle)) throw refusedAssertion()
    let bytes: Uint8Array
    try {
      bytes = base64url.decode(handle)
      // Fatal: bytes that are no UTF-8 (an encoded lone surrogate among them) name no user of
      // ours, where a lenient decoder would look up an id with U+FFFD in it.
      userId = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    } catch {
      // A length no base64url string has ("A"), or no UTF-8: no user of ours.
      throw refusedAssertion()
    }
    // Anyone can send any handle, before any account is known: one that is no id of ours (longer
    // than a handle, or a NUL, which made PostgreSQL answer `503 store_unavailable`) is refused
    // before a store is asked, as the other stores refused it.
    if (bytes.length > MAX_USER_HANDLE_BYTES || !usableUserId(userId)) {
      throw refusedAssertion()
    }
  }
  const factor = passkeysOf(await mfa.factors.listFactors(userId)).find(
    ({ passkey }) => passkey.credentialId === assertion.id,
  )
  if (!factor) throw refusedAssertion()
  const { rpId, origins } = relyingParty(mfa, c)
  let result
  try {
    result = await verifyAuthenticationResponse({
      response: assertion as unknown as AuthenticationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: [...origins],
      expectedRPID: rpId,
      credential: {
        id: factor.passkey.credentialId,
        publicKey: new Uint8Array(base64url.decode(factor.passkey.publicKey)),
        counter: factor.counter,
        transports: factor.passkey.transports,
      },
      requireUserVerification: purpose === 'login',
    })
  } catch {
    throw refusedAssertion()
  }
  if (!result.verified) throw refusedAssertion()
  const info = result.authenticationInfo
  // A counter that went back is a cloned authenticator (WebAuthn L3 §6.1.1), or the same
  // assertion twice: refused either way.
  if (
    !(await mfa.factors.recordPasskeyUse(
      userId,
      factor.id,
      info.newCounter,
      info.credentialBackedUp,
      now,
    ))
  ) {
    throw refusedAssertion()
  }
  return {
    factor,
    userVerified: info.userVerified,
    // A synced passkey is a software key to RFC 8176; one that never leaves its device, hardware.
    amr: info.credentialDeviceType === 'multiDevice' ? 'swk' : 'hwk',
  } as const
}
