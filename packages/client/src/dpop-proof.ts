/**
 * @module
 * DPoP proof JWTs (RFC 9449 §4.2), written with WebCrypto alone: an ES256 signature from
 * `crypto.subtle.sign` is already the raw `r || s` JWS wants (RFC 7518 §3.4), so a proof is a
 * header, the claims, one signature and base64url. Pure functions: the caller passes the time and
 * the nonce.
 */
const encoder = new TextEncoder()

/** @internal base64url without padding (RFC 7515 §2) of bytes or of a string's UTF-8. */
export const base64url = (input: ArrayBuffer | Uint8Array | string): string =>
  btoa(
    String.fromCharCode(
      ...new Uint8Array(typeof input === 'string' ? encoder.encode(input) : input),
    ),
  )
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')

/** @internal The public half of a P-256 key as a JWK: `kty`, `crv`, `x`, `y`, nothing private. */
export interface PublicJwk {
  kty: 'EC'
  crv: 'P-256'
  x: string
  y: string
}

/** @internal The public JWK of `key` (a public key is always exportable, whatever `extractable` said). */
export async function publicJwkOf(key: CryptoKey): Promise<PublicJwk> {
  const { x, y } = await crypto.subtle.exportKey('jwk', key)
  // Only ever called with a P-256 public key, whose JWK has both.
  return { kty: 'EC', crv: 'P-256', x: x!, y: y! }
}

/** @internal base64url of the SHA-256 of `text`: a token's `ath` (RFC 9449 §4.2). */
export const athOf = async (text: string): Promise<string> =>
  base64url(await crypto.subtle.digest('SHA-256', encoder.encode(text)))

/** @internal What one proof says. */
export interface ProofClaims {
  htm: string
  htu: string
  /** Seconds, on the server's clock as far as this device knows it. */
  iat: number
  nonce?: string | undefined
  ath?: string | undefined
}

/** @internal A signed proof JWT for `claims`, by `keys`, with a fresh `jti`. */
export async function signProof(
  keys: { privateKey: CryptoKey; jwk: PublicJwk },
  claims: ProofClaims,
): Promise<string> {
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: keys.jwk }
  // randomUUID: 122 random bits, above the 96 the contract asks for; the server rejects a repeat.
  const payload = { jti: crypto.randomUUID(), ...claims }
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    keys.privateKey,
    encoder.encode(input),
  )
  return `${input}.${base64url(signature)}`
}

/**
 * @internal A JWT's payload, read without verifying it (the server verifies); `undefined` if none.
 * Its fields are unchecked (a JSON value of any type: read them with optional chaining).
 */
export function payloadOf(
  token: string,
): { iat?: unknown; sub?: unknown; cnf?: { jkt?: unknown } } | undefined {
  try {
    return JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as {
      cnf?: { jkt?: unknown }
    }
  } catch {
    return undefined
  }
}

/**
 * @internal The key thumbprint an access token is bound to (`cnf.jkt`, RFC 9449 §6.1), `null` for
 * a bearer token.
 */
export function boundTo(token: string): string | null {
  const jkt = payloadOf(token)?.cnf?.jkt
  return typeof jkt === 'string' ? jkt : null
}
