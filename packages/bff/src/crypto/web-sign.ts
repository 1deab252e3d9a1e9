/**
 * @module
 * A JWS signature through WebCrypto: every signature of `web.ts`, and those of `node.ts` whose key
 * node:crypto cannot take without a deprecated conversion (a non-extractable one).
 * @internal
 */
import type { CryptoPrimitives } from './types.js'

/** @internal ES256 (WebCrypto's ECDSA gives IEEE P1363 r‖s, as JWS wants) or EdDSA (Ed25519). */
export const webSign: CryptoPrimitives['sign'] = async (alg, key, data) =>
  new Uint8Array(
    await globalThis.crypto.subtle.sign(
      alg === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : 'Ed25519',
      key,
      data,
    ),
  )
