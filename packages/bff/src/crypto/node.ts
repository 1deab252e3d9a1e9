/**
 * @module
 * The `#crypto` primitives on node:crypto, picked under Node by the package's `imports` map. The
 * hashes and MACs run synchronously (their promises are already settled), which keeps the refresh
 * path about twenty times cheaper than Node's WebCrypto; signing keys stay jose's WebCrypto keys,
 * converted to `KeyObject`s once each.
 */
/* eslint-disable @typescript-eslint/require-await --
 * node:crypto answers synchronously behind the asynchronous `CryptoPrimitives` interface (which
 * WebCrypto needs); `async` turns any throw into a rejection, as the WebCrypto version does. */
import { createHmac, hash, KeyObject, randomFillSync, sign, type webcrypto } from 'node:crypto'
import type { CryptoPrimitives } from './types.js'

const bytes = (buffer: Buffer) =>
  new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) as Uint8Array<ArrayBuffer>

// Converted once per key: jose hands out WebCrypto keys, node:crypto signs with KeyObjects.
const keyObjects = new WeakMap<object, KeyObject>()
const keyObject = (key: webcrypto.CryptoKey) => {
  let found = keyObjects.get(key)
  if (!found) keyObjects.set(key, (found = KeyObject.from(key)))
  return found
}

/** Bytes of CSPRNG output fetched at once; requests above a quarter of it bypass the pool. */
const POOL_BYTES = 4096
let pool = new Uint8Array(0)
let used = 0

/**
 * `length` bytes from the CSPRNG, served from a pool refilled 4 KiB at a time. Each
 * `randomFillSync` call costs ~8 µs here whatever its size (a synchronous crypto job per call),
 * more than the rest of a token's minting; Node's own `randomUUID()` buffers for the same reason.
 * Every byte is handed out once and zeroed in the pool as it leaves.
 */
function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  if (length > POOL_BYTES / 4) return randomFillSync(new Uint8Array(length))
  if (used + length > pool.length) {
    pool = randomFillSync(new Uint8Array(POOL_BYTES))
    used = 0
  }
  const out = pool.slice(used, used + length)
  pool.fill(0, used, (used += length))
  return out
}

/** @internal node:crypto: the hot refresh path is synchronous here, the promises already settled. */
export const primitives: CryptoPrimitives = {
  randomBytes,
  // One-shot `hash()` (Node 20.12; `engines` asks for 20.19) skips the Hash object of `createHash`.
  sha256: async (data) => bytes(hash('sha256', data, 'buffer')),
  // Text in, base64url out, in one native call: no encoder, no intermediate bytes.
  sha256Text: async (text) => hash('sha256', text, 'base64url'),
  hmacSha256: async (key, data) => bytes(createHmac('sha256', key).update(data).digest()),
  hmacSha512: async (key, data) => bytes(createHmac('sha512', key).update(data).digest()),
  sign: async (alg, key, data) => {
    const privateKey = keyObject(key)
    return bytes(
      alg === 'ES256'
        ? sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })
        : sign(null, data, privateKey),
    )
  },
}
