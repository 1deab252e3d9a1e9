/**
 * @module
 * Access tokens: short-lived JWTs (RFC 9068 profile, `typ: at+jwt`) signed with jose.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose'
import { primitives } from '#crypto'
import * as base64 from './base64url.js'
import { isSigningKeys, loadSigningKeys, type SigningAlgorithm, type SigningKeys } from './keys.js'

/** The claims of a Baton access token. */
export interface AccessTokenClaims extends JWTPayload {
  iss: string
  aud: string | string[]
  /** The user id. */
  sub: string
  /** The session id (refresh-token family). */
  sid: string
  iat: number
  exp: number
  jti: string
  /**
   * The client the token was issued to (RFC 9068 §2.2): the BFF's `clientId`. Not required when
   * verifying, so tokens minted before it was added keep working until they expire.
   */
  client_id?: string
  /**
   * When the user last proved who they are in this session (OIDC `auth_time`, epoch seconds): the
   * login or the latest `POST /reauthenticate`. `requireAuth({ maxAge })` compares it with the
   * clock (RFC 9470). Absent from tokens minted before step-up existed; those fail any `maxAge`.
   */
  auth_time?: number
  /** How the user proved it (RFC 8176 values, e.g. `['pwd']`). */
  amr?: string[]
  /** The authentication context class of that proof, when known (`requireAuth({ acr })`). */
  acr?: string
  /**
   * The confirmation of a token bound to a browser key (RFC 9449 §6.1): the RFC 7638 thumbprint
   * of that key. `requireAuth()` then accepts the token only as `Authorization: DPoP` with a
   * proof signed by that key; absent from the tokens of unbound sessions.
   */
  cnf?: { jkt: string }
}

/** Where `requireAuth` finds verification keys. */
export type JwksSource = SigningKeys | JSONWebKeySet | URL | string

const ACCESS_TOKEN_TYPE = 'at+jwt'

const encoder = new TextEncoder()
const encodeJson = (value: object) => base64.encodeText(JSON.stringify(value))

// A signer's header segment is the same for every token it signs: encoded once per signer.
const headerSegments = new WeakMap<object, string>()
const headerSegment = (signer: { alg: SigningAlgorithm; kid: string }) => {
  let segment = headerSegments.get(signer)
  if (segment === undefined) {
    segment = encodeJson({ alg: signer.alg, kid: signer.kid, typ: ACCESS_TOKEN_TYPE })
    headerSegments.set(signer, segment)
  }
  return segment
}

/**
 * @internal Signs an access token. The compact JWS is assembled here and signed through
 * `#crypto` rather than with jose's `SignJWT`, which always goes through WebCrypto: under Node
 * that costs about four times as much per token as node:crypto, on the hottest path of the BFF.
 * jose still does everything else (key import, JWKS, and every verification), and the test suite
 * verifies each token this function makes with jose's `jwtVerify`.
 */
export async function signAccessToken(
  keys: SigningKeys,
  claims: {
    issuer: string
    audience: string
    clientId: string
    userId: string
    sessionId: string
    /** Epoch ms of the last proof of credentials; `auth_time` is it in whole seconds. */
    authTime: number
    amr: readonly string[]
    acr: string | null
    /** The thumbprint of the key the session is bound to (`cnf.jkt`); `null` or absent: unbound. */
    jkt?: string | null
  },
  now: number,
  ttlMs: number,
  notAfter: number,
): Promise<{ token: string; expiresAt: number }> {
  const { signer } = await loadSigningKeys(keys)
  const iat = Math.floor(now / 1000)
  // Rounded up: `exp` has one-second granularity, and a token must live at least its TTL (rounding
  // down would make a 3 s token live 2 s and clients refresh half again as often). But never past
  // `notAfter`, the session's absolute end, rounded down: a verifier without `checkRevoked` would
  // otherwise accept a token of a session that is over (ASVS 7.3.2).
  const exp = Math.min(Math.ceil((now + ttlMs) / 1000), Math.floor(notAfter / 1000))
  const header = headerSegment(signer)
  const payload = encodeJson({
    sid: claims.sessionId,
    iss: claims.issuer,
    aud: claims.audience,
    sub: claims.userId,
    iat,
    exp,
    jti: globalThis.crypto.randomUUID(),
    client_id: claims.clientId,
    // Rounded down: a proof made at 12.9 s counts as made at 12 s, never as more recent than it was.
    auth_time: Math.floor(claims.authTime / 1000),
    amr: claims.amr,
    ...(claims.acr === null ? {} : { acr: claims.acr }),
    ...(claims.jkt == null ? {} : { cnf: { jkt: claims.jkt } }),
  })
  const input = `${header}.${payload}`
  const signature = await primitives.sign(signer.alg, signer.key, encoder.encode(input))
  return { token: `${input}.${base64.encode(signature)}`, expiresAt: exp * 1000 }
}

/** @internal Resolves a {@link JwksSource} into jose's key lookup, once. */
export function keyLookup(source: JwksSource): JWTVerifyGetKey {
  if (typeof source === 'string' || source instanceof URL) {
    return createRemoteJWKSet(new URL(source))
  }
  if (isSigningKeys(source)) {
    let local: Promise<JWTVerifyGetKey> | undefined
    return async (header, token) => {
      local ??= loadSigningKeys(source).then(({ jwks }) => createLocalJWKSet(jwks))
      return (await local)(header, token)
    }
  }
  if (typeof source === 'object' && source !== null && Array.isArray(source.keys)) {
    return createLocalJWKSet(source)
  }
  throw new TypeError(
    'requireAuth: jwks must be the SigningKeys of createSigningKeys(), a JWKS object or its URL',
  )
}

/** @internal */
export interface VerifyAccessTokenOptions {
  issuer: string
  audience: string
  algorithms: readonly SigningAlgorithm[]
  clockToleranceSec: number
  /** Tokens whose `iat` is older (beyond the clock tolerance) are refused. */
  maxTokenAgeSec: number
  now: number
}

/** @internal Verifies signature, `typ`, `iss`, `aud`, `exp` and the presence of Baton's claims. */
export async function verifyAccessToken(
  token: string,
  getKey: JWTVerifyGetKey,
  options: VerifyAccessTokenOptions,
): Promise<AccessTokenClaims> {
  const { payload } = await jwtVerify(token, getKey, {
    issuer: options.issuer,
    audience: options.audience,
    algorithms: [...options.algorithms],
    clockTolerance: options.clockToleranceSec,
    maxTokenAge: options.maxTokenAgeSec,
    currentDate: new Date(options.now),
    typ: ACCESS_TOKEN_TYPE,
    requiredClaims: ['sub', 'sid', 'iat', 'exp', 'jti'],
  })
  if (typeof payload.sid !== 'string' || typeof payload.sub !== 'string') {
    throw new errors.JWTClaimValidationFailed(
      'sid and sub must be strings',
      payload,
      'sid',
      'check_failed',
    )
  }
  const fail = (claim: string, message: string) =>
    new errors.JWTClaimValidationFailed(message, payload, claim, 'check_failed')
  if (
    payload.auth_time !== undefined &&
    (typeof payload.auth_time !== 'number' || !Number.isFinite(payload.auth_time))
  ) {
    throw fail('auth_time', 'auth_time must be a number')
  }
  if (
    payload.amr !== undefined &&
    (!Array.isArray(payload.amr) || !payload.amr.every((method) => typeof method === 'string'))
  ) {
    throw fail('amr', 'amr must be an array of strings')
  }
  if (payload.acr !== undefined && typeof payload.acr !== 'string') {
    throw fail('acr', 'acr must be a string')
  }
  if (
    payload.cnf !== undefined &&
    (typeof payload.cnf !== 'object' ||
      payload.cnf === null ||
      typeof (payload.cnf as { jkt?: unknown }).jkt !== 'string')
  ) {
    // A token we cannot tell bound from unbound is refused, never taken as a bearer token.
    throw fail('cnf', 'cnf must be an object with a string jkt')
  }
  if (payload.client_id !== undefined && typeof payload.client_id !== 'string') {
    throw new errors.JWTClaimValidationFailed(
      'client_id must be a string',
      payload,
      'client_id',
      'check_failed',
    )
  }
  return payload as AccessTokenClaims
}

/**
 * @internal True when verification failed because keys could not be fetched (remote JWKS down
 * or broken), which says nothing about the token itself.
 */
export const isKeySourceFailure = (error: unknown) =>
  !(error instanceof errors.JOSEError) ||
  error instanceof errors.JWKSTimeout ||
  error instanceof errors.JWKSInvalid
