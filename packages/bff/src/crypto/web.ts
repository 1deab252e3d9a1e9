/**
 * @module
 * The `#crypto` primitives on WebCrypto (`globalThis.crypto`) alone, for edge runtimes, Deno and
 * Bun: the default of the package's `imports` map wherever node:crypto is not known to exist.
 */
import * as base64url from '../tokens/base64url.js'
import type { CryptoPrimitives } from './types.js'

const encoder = new TextEncoder()

const subtle = () => globalThis.crypto.subtle

async function hmac(
  hash: 'SHA-256' | 'SHA-512',
  key: Uint8Array<ArrayBuffer>,
  data: Uint8Array<ArrayBuffer>,
) {
  const imported = await subtle().importKey('raw', key, { name: 'HMAC', hash }, false, ['sign'])
  return new Uint8Array(await subtle().sign('HMAC', imported, data))
}

/** @internal WebCrypto only, for runtimes without node:crypto. */
export const primitives: CryptoPrimitives = {
  randomBytes: (length) => globalThis.crypto.getRandomValues(new Uint8Array(length)),
  sha256: async (data) => new Uint8Array(await subtle().digest('SHA-256', data)),
  sha256Text: async (text) =>
    base64url.encode(new Uint8Array(await subtle().digest('SHA-256', encoder.encode(text)))),
  hmacSha256: (key, data) => hmac('SHA-256', key, data),
  hmacSha512: (key, data) => hmac('SHA-512', key, data),
  sign: async (alg, key, data) =>
    new Uint8Array(
      await subtle().sign(
        alg === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : 'Ed25519',
        key,
        data,
      ),
    ),
}
