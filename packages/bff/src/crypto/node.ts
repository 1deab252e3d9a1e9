/**
 * @module
 * The `#crypto` primitives on node:crypto, picked under Node by the package's `imports` map: about
 * twenty times cheaper per call than Node's WebCrypto (no trip to libuv's thread pool). Signing keys
 * stay jose's WebCrypto keys, each extractable one converted to a `KeyObject` once.
 */
import { createHmac, hash, KeyObject, randomFillSync, sign, type webcrypto } from 'node:crypto'
import { inCheckPhase } from './coalesce.js'
import type { CryptoPrimitives } from './types.js'
import { webSign } from './web-sign.js'

const bytes = (buffer: Buffer) =>
  new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) as Uint8Array<ArrayBuffer>

// Converted once per key: jose hands out WebCrypto keys, node:crypto signs with KeyObjects. Only
// an extractable key is converted: Node 24 deprecates it for the others (DEP0204; an error in a
// later Node). The BFF's own keys are extractable (`tokens/key-import.ts`); any other key is
// signed through WebCrypto, slower but without the deprecated conversion (`null` here).
const keyObjects = new WeakMap<object, KeyObject>()
const keyObject = (key: webcrypto.CryptoKey): KeyObject | null => {
  let found = keyObjects.get(key)
  if (!found) {
    if (!key.extractable) return null
    keyObjects.set(key, (found = KeyObject.from(key)))
  }
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

/** @internal node:crypto. */
export const primitives: CryptoPrimitives = {
  randomBytes,
  // One-shot `hash()` (Node 20.12; `engines` asks for 20.19) skips the Hash object of `createHash`.
  sha256: (data) => bytes(hash('sha256', data, 'buffer')),
  // Text in, base64url out, in one native call: no encoder, no intermediate bytes.
  sha256Text: (text) => hash('sha256', text, 'base64url'),
  hmacSha256: (key, data) => bytes(createHmac('sha256', key).update(data).digest()),
  hmacSha512: (key, data) => bytes(createHmac('sha512', key).update(data).digest()),
  // Made with the rest of this turn's signatures (`coalesce.ts`); a throw (an unusable key)
  // becomes a rejection, as WebCrypto's does.
  sign: async (alg, key, data) => {
    const privateKey = keyObject(key)
    if (!privateKey) return webSign(alg, key, data)
    return inCheckPhase(() =>
      bytes(
        alg === 'ES256'
          ? sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })
          : sign(null, data, privateKey),
      ),
    )
  },
}
