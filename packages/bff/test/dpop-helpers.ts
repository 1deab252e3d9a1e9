/**
 * @module
 * What the DPoP tests share: a browser key (ES256, as the client makes it), proofs signed with
 * jose's `SignJWT` for any request and with any field changed, and the exact challenges.
 */
import { randomBytes } from 'node:crypto'
import {
  base64url,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
} from 'jose'
import { ORIGIN } from './helpers.js'

/** A device key: the private half signs, the public JWK travels in every proof. */
export interface DeviceKey {
  privateKey: CryptoKey
  jwk: JWK
  jkt: string
}

export async function deviceKey(): Promise<DeviceKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true })
  const jwk = await exportJWK(publicKey)
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') }
}

/** What a proof says; every field can be changed to make a bad one. */
export interface ProofFields {
  htm?: string
  /** A path on {@link ORIGIN}, or an absolute URL. */
  htu?: string
  /** Epoch ms; the proof's `iat` is it in seconds. */
  at: number
  jti?: string
  nonce?: string
  /** The access token whose hash goes in `ath`. */
  accessToken?: string
  /** Replaces the `ath` claim (wins over `accessToken`). */
  ath?: string
  typ?: string
  /** Replaces the embedded JWK (a private one, another key's). */
  jwk?: JWK
}

export const hashOf = async (token: string) =>
  base64url.encode(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))),
  )

/** A DPoP proof by `key` (RFC 9449 §4.2); by default for `POST {ORIGIN}/auth/refresh`. */
export async function proof(key: DeviceKey, fields: ProofFields): Promise<string> {
  const htu = new URL(fields.htu ?? '/auth/refresh', ORIGIN).href
  const ath = fields.ath ?? (fields.accessToken ? await hashOf(fields.accessToken) : undefined)
  return new SignJWT({
    htm: fields.htm ?? 'POST',
    htu,
    jti: fields.jti ?? randomBytes(16).toString('base64url'),
    ...(fields.nonce === undefined ? {} : { nonce: fields.nonce }),
    ...(ath === undefined ? {} : { ath }),
  })
    .setProtectedHeader({ typ: fields.typ ?? 'dpop+jwt', alg: 'ES256', jwk: fields.jwk ?? key.jwk })
    .setIssuedAt(Math.floor(fields.at / 1000))
    .sign(key.privateKey)
}

/** The payload of a JWT, unverified (tests read their own BFF's tokens). */
export const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>

/** The exact challenge of `401 invalid_dpop_proof` with `description`. */
export const proofChallenge = (description: string) =>
  `DPoP error="invalid_dpop_proof", error_description="${description}", algs="ES256"`

/** The exact challenge of `401 invalid_token` about how a token was presented. */
export const tokenChallenge = (description: string) =>
  `DPoP error="invalid_token", error_description="${description}", algs="ES256"`

export const NONCE_CHALLENGE =
  'DPoP error="use_dpop_nonce", error_description="A fresh server nonce is required", algs="ES256"'
