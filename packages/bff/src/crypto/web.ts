/**
 * @module
 * The `#crypto` primitives for edge runtimes: the default of the package's `imports` map wherever
 * the `node` condition does not match (Node, Deno and Bun get `node.ts`). Signatures and
 * randomness come from WebCrypto (`globalThis.crypto`); hashes and MACs from `@noble/hashes`
 * (audited, synchronous), because WebCrypto's are asynchronous and the refresh path makes five of
 * them on ~100 bytes each.
 */
import { hmac } from '@noble/hashes/hmac.js'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import * as base64url from '../tokens/base64url.js'
import type { CryptoPrimitives } from './types.js'
import { webSign } from './web-sign.js'

const encoder = new TextEncoder()

// noble returns plain `Uint8Array`s over their own `ArrayBuffer`s.
const own = (value: Uint8Array) => value as Uint8Array<ArrayBuffer>

/** @internal WebCrypto and `@noble/hashes`, for runtimes without node:crypto. */
export const primitives: CryptoPrimitives = {
  randomBytes: (length) => globalThis.crypto.getRandomValues(new Uint8Array(length)),
  sha256: (data) => own(sha256(data)),
  sha256Text: (text) => base64url.encode(own(sha256(encoder.encode(text)))),
  hmacSha256: (key, data) => own(hmac(sha256, key, data)),
  hmacSha512: (key, data) => own(hmac(sha512, key, data)),
  sign: webSign,
}
