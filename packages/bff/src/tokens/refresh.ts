/**
 * @module
 * Opaque refresh tokens. A token is base64url(sessionId[16] ‖ secret[32] ‖ tag[16]):
 * - the 256-bit secret comes from the CSPRNG (OWASP: at least 64 bits of entropy; RFC 9700 §4.14);
 * - the session id lets the BFF find the token's family without a hash index;
 * - the tag, HMAC-SHA-256 under the session's own key, proves the BFF minted the token, so a token
 *   that names a live session but is neither current nor previous is a genuine ancestor (reuse,
 *   RFC 9700 §4.14.2) and not a forgery made to get somebody else's session revoked.
 * The store keeps SHA-256 hashes only. The successor is stored masked with HMAC-SHA-512 keyed by
 * its predecessor's secret: only a holder of the previous token can unmask it inside the grace
 * window, so a duplicate refresh receives the same successor instead of a sibling. Each secret
 * masks exactly one successor (rotation is compare-and-set), so the mask is a one-time pad, and the
 * unmasked value is checked against the stored hash before use.
 */
import * as base64url from './base64url.js'
import { primitives } from '#crypto'

const SESSION_ID_BYTES = 16
const SECRET_BYTES = 32
const TAG_BYTES = 16
const TOKEN_BYTES = SESSION_ID_BYTES + SECRET_BYTES + TAG_BYTES
/** Upper bound on a cookie value worth decoding (the real length is 86). */
export const MAX_REFRESH_TOKEN_LENGTH = 128
const SEAL_INFO = new TextEncoder().encode('baton/refresh-successor/v2')

const decode = base64url.decode
const random = (length: number) => primitives.randomBytes(length)

/** A new random session id (128 bits, base64url). */
export const newSessionId = () => base64url.encode(random(SESSION_ID_BYTES))

/** A new per-session HMAC key (256 bits, base64url). */
export const newTokenKey = () => base64url.encode(random(32))

/** A refresh token split into its parts; `raw` is the cookie value. */
export interface ParsedRefreshToken {
  raw: string
  sessionId: string
  bytes: Uint8Array<ArrayBuffer>
}

const tagFor = (tokenKey: string, body: Uint8Array<ArrayBuffer>) =>
  primitives.hmacSha256(decode(tokenKey), body).subarray(0, TAG_BYTES)

/** Mints a fresh token for the session whose HMAC key is `tokenKey`. */
export function mintRefreshToken(sessionId: string, tokenKey: string): string {
  const bytes = new Uint8Array(TOKEN_BYTES)
  bytes.set(decode(sessionId), 0)
  bytes.set(random(SECRET_BYTES), SESSION_ID_BYTES)
  const body = bytes.subarray(0, SESSION_ID_BYTES + SECRET_BYTES)
  bytes.set(tagFor(tokenKey, body), SESSION_ID_BYTES + SECRET_BYTES)
  return base64url.encode(bytes)
}

/** Splits a cookie value into a token, or `null` when it cannot be one of ours. */
export function parseRefreshToken(raw: string | undefined): ParsedRefreshToken | null {
  if (!raw || raw.length > MAX_REFRESH_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(raw)) return null
  let bytes: Uint8Array<ArrayBuffer>
  try {
    bytes = decode(raw)
  } catch {
    return null
  }
  // Only the canonical spelling: base64url has spare bits in its last character, and another
  // spelling of the current token would hash differently and pass for a stolen ancestor.
  if (bytes.length !== TOKEN_BYTES || base64url.encode(bytes) !== raw) return null
  return {
    raw,
    bytes,
    sessionId: base64url.encode(bytes.subarray(0, SESSION_ID_BYTES)),
  }
}

/** True when the token's tag was made with this session's key, i.e. the BFF minted it. */
export function isAuthentic(token: ParsedRefreshToken, tokenKey: string): boolean {
  const body = token.bytes.subarray(0, SESSION_ID_BYTES + SECRET_BYTES)
  const expected = tagFor(tokenKey, body)
  return constantTimeEqual(expected, token.bytes.subarray(SESSION_ID_BYTES + SECRET_BYTES))
}

/** SHA-256 of the token, base64url: the only form in which a store sees it. */
export function hashRefreshToken(raw: string): string {
  return primitives.sha256Text(raw)
}

/** The one-time mask for the successor of `predecessor`. */
function maskFor(predecessor: ParsedRefreshToken): Uint8Array {
  const secret = predecessor.bytes.subarray(SESSION_ID_BYTES, SESSION_ID_BYTES + SECRET_BYTES)
  const info = new Uint8Array(SEAL_INFO.length + SESSION_ID_BYTES)
  info.set(SEAL_INFO, 0)
  info.set(predecessor.bytes.subarray(0, SESSION_ID_BYTES), SEAL_INFO.length)
  return primitives.hmacSha512(secret, info)
}

const xor = (value: Uint8Array, mask: Uint8Array) => value.map((byte, i) => byte ^ mask[i]!)

/**
 * Seals `successor` so that only a holder of `predecessor` can open it. Only its secret and tag
 * are sealed (48 bytes, 64 base64url characters): its session id is the predecessor's, which the
 * record already holds. 64 characters is also Redis's default `hash-max-listpack-value`, so a
 * refreshed session's hash stays in the compact listpack encoding (about 0.5 KB instead of 1.3).
 */
export function sealSuccessor(predecessor: ParsedRefreshToken, successor: string): string {
  const mask = maskFor(predecessor).subarray(SESSION_ID_BYTES)
  return base64url.encode(xor(decode(successor).subarray(SESSION_ID_BYTES), mask))
}

/**
 * Opens a sealed successor with its predecessor. Returns it only if its hash is `expectedHash`
 * (the session's current token), else `null`.
 */
export function openSuccessor(
  predecessor: ParsedRefreshToken,
  sealed: string,
  expectedHash: string,
): string | null {
  let bytes: Uint8Array
  try {
    bytes = decode(sealed)
  } catch {
    return null
  }
  const mask = maskFor(predecessor)
  let successor: string
  if (bytes.length === TOKEN_BYTES - SESSION_ID_BYTES) {
    const whole = new Uint8Array(TOKEN_BYTES)
    whole.set(predecessor.bytes.subarray(0, SESSION_ID_BYTES), 0)
    whole.set(xor(bytes, mask.subarray(SESSION_ID_BYTES)), SESSION_ID_BYTES)
    successor = base64url.encode(whole)
  } else if (bytes.length === TOKEN_BYTES) {
    // Sealed whole, as before the short form: a record written then must open after a deploy.
    successor = base64url.encode(xor(bytes, mask))
  } else {
    return null
  }
  return hashRefreshToken(successor) === expectedHash ? successor : null
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/**
 * @internal How often a rotation is retried after losing its compare-and-set: a lost one means
 * another request rotated first; the next read sees this token as the previous one and takes the
 * grace path. More than a few losses in a row is pathological.
 */
export const MAX_ROTATION_ATTEMPTS = 8

/** @internal What a password proves, as `amr` records it (RFC 8176 §2). */
export const PASSWORD_AMR: readonly string[] = ['pwd']
