/**
 * @module
 * The few primitives the refresh-token machinery needs. `#crypto` resolves to `node.ts` under
 * Node, Deno and Bun (they match the `node` condition; node:crypto, about twenty times cheaper per
 * call than Node's WebCrypto) and to `web.ts` everywhere else (edge runtimes), through the
 * package's `imports` map. Hashes and MACs are synchronous on both: a refresh makes five of them
 * on ~100 bytes each, and awaiting each one cost more than computing it (issue 15). Only the
 * signature is asynchronous (WebCrypto's; under Node, made once per turn: `coalesce.ts`).
 */
import type { CryptoKey } from 'jose'

export interface CryptoPrimitives {
  /** `length` bytes from the platform CSPRNG. */
  randomBytes(length: number): Uint8Array<ArrayBuffer>
  sha256(data: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer>
  /** SHA-256 of `text` as UTF-8, as unpadded base64url: the form refresh-token hashes are kept in. */
  sha256Text(text: string): string
  /** HMAC-SHA-256; `key` is raw key bytes. */
  hmacSha256(key: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer>
  /** HMAC-SHA-512 (64 bytes of PRF output, enough to mask a whole refresh token). */
  hmacSha512(key: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer>
  /** A JWS signature (ES256: IEEE P1363 r‖s; EdDSA: Ed25519) with a private key from jose. */
  sign(
    alg: 'ES256' | 'EdDSA',
    key: CryptoKey,
    data: Uint8Array<ArrayBuffer>,
  ): Promise<Uint8Array<ArrayBuffer>>
}
