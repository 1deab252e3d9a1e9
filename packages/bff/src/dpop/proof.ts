/**
 * @module
 * Verifies one DPoP proof against the request it came with (RFC 9449 §4.3): jose checks the JWS
 * (`typ`, the algorithm allowlist, the signature with the embedded public key); this module
 * checks the rest (`htm`, `htu`, `iat`, `nonce`, `ath`, `jti` replay) and returns the key's
 * RFC 7638 thumbprint, for the caller to compare with the session's or the token's.
 * @internal
 */
import {
  base64url,
  calculateJwkThumbprint,
  decodeProtectedHeader,
  EmbeddedJWK,
  jwtVerify,
} from 'jose'
import type { JWK } from 'jose'
import { guardStore } from '../stores/guard.js'
import { invalidProof, PROOF_ALGORITHMS, useNonce } from './errors.js'
import type { DpopConfig } from './options.js'
import { replayKey } from './replay.js'

/** A proof is a few hundred bytes; anything much larger is not one. */
const MAX_PROOF_LENGTH = 4096
/** ≥ 96 bits of base64url (RFC 9449 §11.1 asks for enough randomness); capped to stay small. */
const JTI = /^[\x21-\x7e]{16,256}$/
/** Members only a private or a symmetric JWK has (RFC 7518 §6). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

const encoder = new TextEncoder()

/** @internal The request a proof must be for. */
export interface ProofRequest {
  method: string
  /** The request URL as the server sees it (`c.req.url`). */
  url: string
  /** The access token the proof comes with (API calls): its hash must be the proof's `ath`. */
  accessToken?: string
}

/** @internal A verified proof. */
export interface VerifiedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key. */
  jkt: string
}

/** @internal base64url(SHA-256(token)): the `ath` of a proof sent with `token` (RFC 9449 §4.2). */
export async function accessTokenHash(token: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', encoder.encode(token))
  return base64url.encode(new Uint8Array(digest))
}

/** The target URI without query and fragment, or `null` when `value` is no absolute http(s) URL. */
function target(value: string): { origin: string; path: string } | null {
  if (!URL.canParse(value)) return null
  const url = new URL(value)
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null
  return { origin: url.origin, path: url.pathname }
}

/**
 * @internal Verifies the `DPoP` header `header` for `request` at `now` (epoch ms); throws
 * `401 invalid_dpop_proof`, or `use_dpop_nonce` (`nonceStatus`) when nonces are on and the proof
 * has none or a stale one. The proof's `jti` is remembered only once everything else passed.
 */
export async function verifyProof(
  header: string | undefined,
  request: ProofRequest,
  config: DpopConfig,
  now: number,
  nonceStatus: 400 | 401,
): Promise<VerifiedProof> {
  const fresh = config.nonces ? await config.nonces.current(now) : null
  const refuse = (description: string, cause?: unknown) => invalidProof(description, fresh, cause)

  if (header === undefined || header === '') throw refuse('A DPoP proof is required')
  // Hono joins repeated headers with ", "; a compact JWS has neither character (§4.3 step 1).
  if (/[,\s]/.test(header)) throw refuse('Exactly one DPoP header is allowed')
  if (header.length > MAX_PROOF_LENGTH) throw refuse('The DPoP proof is too large')

  let protectedHeader: ReturnType<typeof decodeProtectedHeader>
  try {
    protectedHeader = decodeProtectedHeader(header)
  } catch (error) {
    throw refuse('The DPoP proof is not a JWT', error)
  }
  // A media type (RFC 7515 §4.1.9): compared as jose's check below does, without case or prefix.
  const typ = protectedHeader.typ?.toLowerCase().replace(/^application\//, '')
  if (typ !== 'dpop+jwt') throw refuse('The DPoP proof must have typ dpop+jwt')
  if (!(PROOF_ALGORITHMS as readonly unknown[]).includes(protectedHeader.alg)) {
    throw refuse(`The DPoP proof must be signed with ${PROOF_ALGORITHMS.join(' or ')}`)
  }
  const jwk = protectedHeader.jwk as (JWK & Record<string, unknown>) | undefined
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw refuse('The DPoP proof must carry its public key as jwk')
  }
  // jose refuses a private key too; this says why, and refuses before any key is imported.
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) {
    throw refuse('The DPoP proof key must be a public key')
  }

  let payload: Record<string, unknown>
  try {
    ;({ payload } = await jwtVerify(header, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: [...PROOF_ALGORITHMS],
      currentDate: new Date(now),
      clockTolerance: config.proofWindowMs / 1000,
    }))
  } catch (error) {
    throw refuse('The DPoP proof signature or claims are invalid', error)
  }

  const { jti, htm, htu, iat, nonce, ath } = payload
  if (typeof jti !== 'string' || !JTI.test(jti)) {
    throw refuse('The DPoP proof needs a jti of 16 to 256 characters')
  }
  if (typeof htm !== 'string' || htm !== request.method) {
    throw refuse('The DPoP proof htm does not match the request method')
  }
  const signed = typeof htu === 'string' ? target(htu) : null
  const actual = target(request.url)!
  const origins = config.origins ?? new Set([actual.origin])
  if (!signed || !origins.has(signed.origin) || signed.path !== actual.path) {
    throw refuse('The DPoP proof htu does not match the request URL')
  }
  if (config.nonces && (typeof nonce !== 'string' || !(await config.nonces.check(nonce, now)))) {
    throw useNonce(nonceStatus, fresh!)
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw refuse('The DPoP proof needs a numeric iat')
  }
  if (Math.abs(iat * 1000 - now) > config.proofWindowMs) {
    throw refuse('The DPoP proof iat is outside the accepted window')
  }
  if (request.accessToken !== undefined) {
    if (typeof ath !== 'string' || ath !== (await accessTokenHash(request.accessToken))) {
      throw refuse('The DPoP proof ath does not match the access token')
    }
  }

  const jkt = await calculateJwkThumbprint(jwk, 'sha256')
  // Remembered until it could no longer pass the iat check, plus a second for iat's rounding.
  const until = iat * 1000 + config.proofWindowMs + 1_000
  const key = await replayKey(jkt, jti)
  if (!(await guardStore(() => config.replay.rememberProof(key, until, now)))) {
    throw refuse('The DPoP proof was already used')
  }
  return { jkt }
}
