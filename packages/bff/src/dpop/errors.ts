/**
 * @module
 * The refusals of DPoP (RFC 9449 §7.1, §8): typed `BffError`s with the `WWW-Authenticate: DPoP`
 * challenge and, when nonces are on, a fresh `DPoP-Nonce`.
 * @internal
 */
import { DPOP_NONCE_HEADER } from '@baton/protocol'
import { BffError } from '../errors.js'

/** The one algorithm proofs may use, advertised in every challenge (RFC 9449 §7.1). */
export const PROOF_ALGORITHMS = ['ES256'] as const

const ALGS = `algs="${PROOF_ALGORITHMS.join(' ')}"`

const headers = (challenge: string, nonce: string | null): Record<string, string> => ({
  'www-authenticate': challenge,
  ...(nonce === null ? {} : { [DPOP_NONCE_HEADER]: nonce }),
})

/**
 * @internal `401 invalid_dpop_proof`: the proof is missing, malformed, badly signed, for another
 * request, stale or replayed. Nothing is ended by it.
 */
export const invalidProof = (description: string, nonce: string | null = null, cause?: unknown) =>
  new BffError(401, 'invalid_dpop_proof', description, {
    cause,
    headers: headers(
      `DPoP error="invalid_dpop_proof", error_description="${description}", ${ALGS}`,
      nonce,
    ),
  })

/**
 * @internal `use_dpop_nonce` with the nonce to use: `400` where the BFF acts as the authorization
 * server (its cookie routes), `401` as a resource server (`requireAuth`).
 */
export const useNonce = (status: 400 | 401, nonce: string) =>
  new BffError(status, 'use_dpop_nonce', 'Sign the DPoP proof again with the DPoP-Nonce given.', {
    headers: headers(
      `DPoP error="use_dpop_nonce", error_description="A fresh server nonce is required", ${ALGS}`,
      nonce,
    ),
  })

/**
 * @internal `401 invalid_token` with a DPoP challenge: a token the resource server refuses for
 * how it was presented (a bound token as a bearer, an unbound one where DPoP is required).
 */
export const dpopTokenRefused = (description: string, nonce: string | null = null) =>
  new BffError(401, 'invalid_token', description, {
    headers: headers(
      `DPoP error="invalid_token", error_description="${description}", ${ALGS}`,
      nonce,
    ),
  })
