/**
 * @module
 * base64url (RFC 4648 §5, unpadded) for the refresh path. jose's codec goes through `btoa` and a
 * binary string, which cost ~5% of a refresh in the profile; Node's `Buffer` does the same in
 * native code. Where there is no `Buffer` (edge runtimes) jose's codec is used, so the output is
 * the same everywhere.
 * @internal
 */
import { base64url as jose } from 'jose'

interface NodeBuffer {
  from(
    data: ArrayBufferLike,
    byteOffset: number,
    length: number,
  ): { toString(encoding: 'base64url'): string }
  from(
    data: string,
    encoding: 'base64url' | 'utf8',
  ): Uint8Array & {
    toString(encoding: 'base64url'): string
  }
}
const NativeBuffer = (globalThis as { Buffer?: NodeBuffer }).Buffer

const VALID = /^[A-Za-z0-9_-]*$/

/** @internal Encodes bytes as unpadded base64url. */
export const encode: (bytes: Uint8Array) => string = NativeBuffer
  ? // A view on the same memory: no copy of the bytes before they are encoded.
    (bytes) =>
      NativeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
  : (bytes) => jose.encode(bytes)

/** @internal Encodes text as UTF-8, then as unpadded base64url. */
export const encodeText: (text: string) => string = NativeBuffer
  ? (text) => NativeBuffer.from(text, 'utf8').toString('base64url')
  : (text) => jose.encode(text)

/**
 * @internal Decodes unpadded base64url; throws on a character outside the alphabet, as jose does
 * (Node's decoder would skip it silently).
 */
export const decode: (text: string) => Uint8Array<ArrayBuffer> = NativeBuffer
  ? (text) => {
      if (!VALID.test(text)) throw new TypeError('The input is not base64url')
      const view = NativeBuffer.from(text, 'base64url')
      // A copy that owns its ArrayBuffer: Buffers of this size are slices of a shared pool.
      return new Uint8Array(view)
    }
  : (text) => jose.decode(text) as Uint8Array<ArrayBuffer>
