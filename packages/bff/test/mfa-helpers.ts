/**
 * @module
 * What the second-factor tests share: a BFF with `mfa` on, TOTP codes computed as an app would,
 * and a software WebAuthn authenticator.
 *
 * The authenticator follows WebAuthn L3 §6.1 (authenticator data: SHA-256 of the RP id, flags
 * UP 0x01 / UV 0x04 / BE 0x08 / BS 0x10 / AT 0x40, a big-endian 32-bit signature counter, then at
 * registration the attested credential data: a zero AAGUID, the credential id's length and bytes,
 * and the COSE_Key of a P-256 key, §6.5.1), §6.5.4 (the `none` attestation object
 * `{ fmt: 'none', attStmt: {}, authData }` in CBOR) and §6.3.3 (an assertion signature is ES256
 * over `authenticatorData || SHA-256(clientDataJSON)`, DER-encoded as node:crypto makes it).
 * `@simplewebauthn/server` then verifies what it produces exactly as it verifies a browser's.
 */
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import type { PasskeyAssertion } from '@baton/protocol'
import { isoCBOR } from '@simplewebauthn/server/helpers'
import { TOTP, Secret } from 'otpauth'
import { expect } from 'vitest'
import { createHarness, CSRF, passwordOf, type Harness, type TokenResponse } from './helpers.js'

/** A valid 32-byte key, base64url. */
export const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64url')

export const ORIGIN = 'http://localhost'
export const RP_ID = 'localhost'

/** A harness with second factors on. */
export const mfaHarness = (mfa: Record<string, unknown> = {}, options = {}) =>
  createHarness({ mfa: { encryptionKey: ENCRYPTION_KEY, ...mfa }, ...options })

/** The code an authenticator app shows for `secret` at `now` (`offset` steps away). */
export const totpCode = (secret: string, now: number, offset = 0) =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: now + offset * 30_000 })

const json = { 'content-type': 'application/json' }

/** Calls for one harness. */
export function mfaClient(h: Harness) {
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
  const api = (path: string, token: string, method = 'POST', body?: unknown) =>
    h.send(`/auth${path}`, {
      method,
      headers: { ...bearer(token), ...json },
      body: body === undefined ? null : JSON.stringify(body),
    })
  /** Password login, whatever it answers. */
  const passwordLogin = (username = 'alice') =>
    h.post('/login', {
      headers: json,
      body: JSON.stringify({ username, password: passwordOf(username) }),
    })
  /** Password login that must answer `401 mfa_required`; returns its ticket and cookie. */
  const challenged = async (username = 'alice') => {
    const res = await passwordLogin(username)
    expect(res.status).toBe(401)
    const body = (await res.json()) as {
      error: {
        code: string
        ticket: string
        methods: string[]
        expiresAt: number
        expiresIn: number
      }
    }
    expect(body.error.code).toBe('mfa_required')
    const setCookie = res.headers.getSetCookie()
    expect(setCookie).toHaveLength(1)
    const binder = /^__Host-baton_mfa=([^;]+);/.exec(setCookie[0]!)![1]!
    return { ...body.error, binder, setCookie: setCookie[0]! }
  }
  const loginMfa = (body: unknown, binder?: string, headers: Record<string, string> = {}) =>
    h.post('/login/mfa', {
      headers: {
        ...json,
        ...(binder === undefined ? {} : { cookie: `__Host-baton_mfa=${binder}` }),
        ...headers,
      },
      body: JSON.stringify(body),
    })
  /** Enrols and confirms TOTP for a signed-in user; returns the secret and recovery codes. */
  const enrolTotp = async (token: string) => {
    const res = await api('/factors/totp', token, 'POST', { label: 'Phone' })
    expect(res.status).toBe(201)
    const enrolment = (await res.json()) as { id: string; secret: string; uri: string }
    const confirm = await api(`/factors/totp/${enrolment.id}/confirm`, token, 'POST', {
      code: totpCode(enrolment.secret, h.clock.now()),
    })
    expect(confirm.status).toBe(200)
    const confirmed = (await confirm.json()) as { recoveryCodes?: string[] }
    return { ...enrolment, recoveryCodes: confirmed.recoveryCodes ?? [] }
  }
  /**
   * Steps the session of `token` and `cookie` up with a second factor (`{ method, code }` or
   * `{ method: 'passkey', assertion }`); returns the new token and cookie.
   */
  const stepUp = async (token: string, cookie: string, answer: Record<string, unknown>) => {
    const res = await h.post('/reauthenticate', {
      headers: { ...json, ...bearer(token), cookie: `__Host-baton_rt=${cookie}` },
      body: JSON.stringify(answer),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as TokenResponse
    const rotated = /^__Host-baton_rt=([^;]+);/.exec(res.headers.getSetCookie()[0] ?? '')
    return { token: body.accessToken, cookie: rotated?.[1] ?? cookie }
  }
  return { api, passwordLogin, challenged, loginMfa, enrolTotp, stepUp, bearer }
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest()
const b64url = (data: Uint8Array | string) => Buffer.from(data).toString('base64url')

/** A software passkey on one RP. */
export function softAuthenticator(
  options: { rpId?: string; origin?: string; synced?: boolean; userVerified?: boolean } = {},
) {
  const rpId = options.rpId ?? RP_ID
  const origin = options.origin ?? ORIGIN
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = publicKey.export({ format: 'jwk' })
  const credentialId = randomBytes(16)
  const state = { counter: 0, userHandle: '' }
  const flags = (attested: boolean) =>
    0x01 |
    (options.userVerified === false ? 0 : 0x04) |
    (options.synced ? 0x18 : 0) |
    (attested ? 0x40 : 0)
  const counterBytes = () => {
    const bytes = Buffer.alloc(4)
    bytes.writeUInt32BE(state.counter)
    return bytes
  }
  const clientData = (type: string, challenge: string) =>
    Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }))

  return {
    state,
    credentialId: b64url(credentialId),
    /** `startRegistration()`'s result for `options` (creation options JSON). */
    register(creation: { challenge: string; user: { id: string } }) {
      state.userHandle = creation.user.id
      const coseKey = new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ])
      const idLength = Buffer.alloc(2)
      idLength.writeUInt16BE(credentialId.length)
      const authData = Buffer.concat([
        sha256(rpId),
        Buffer.from([flags(true)]),
        counterBytes(),
        Buffer.alloc(16),
        idLength,
        credentialId,
        Buffer.from(isoCBOR.encode(coseKey)),
      ])
      const attestationObject = isoCBOR.encode(
        new Map<string, string | Map<string, string> | Uint8Array>([
          ['fmt', 'none'],
          ['attStmt', new Map<string, string>()],
          ['authData', new Uint8Array(authData)],
        ]),
      )
      return {
        id: b64url(credentialId),
        rawId: b64url(credentialId),
        type: 'public-key',
        response: {
          clientDataJSON: b64url(clientData('webauthn.create', creation.challenge)),
          attestationObject: b64url(attestationObject),
          transports: ['internal'],
        },
        clientExtensionResults: {},
      }
    },
    /** `startAuthentication()`'s result for a challenge; the counter moves by `step`. */
    assert(challenge: string, step = 1): PasskeyAssertion {
      state.counter += step
      const authData = Buffer.concat([sha256(rpId), Buffer.from([flags(false)]), counterBytes()])
      const data = clientData('webauthn.get', challenge)
      const signature = sign('sha256', Buffer.concat([authData, sha256(data)]), privateKey)
      return {
        id: b64url(credentialId),
        rawId: b64url(credentialId),
        type: 'public-key',
        response: {
          clientDataJSON: b64url(data),
          authenticatorData: b64url(authData),
          signature: b64url(signature),
          userHandle: state.userHandle,
        },
        clientExtensionResults: {},
      }
    },
  }
}

export type { TokenResponse }
export { CSRF }
