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
import {
  createHash,
  createHmac,
  KeyObject,
  randomFillSync,
  sign,
  type webcrypto,
} from 'node:crypto'
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

/** @internal node:crypto: the hot refresh path is synchronous here, the promises already settled. */
export const primitives: CryptoPrimitives = {
  randomBytes: (length) => randomFillSync(new Uint8Array(length)),
  sha256: async (data) => bytes(createHash('sha256').update(data).digest()),
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
