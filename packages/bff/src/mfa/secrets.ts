/**
 * @module
 * What second factors keep secret, and how.
 *
 * - **TOTP secrets** are sealed with AES-256-GCM as a compact JWE (`dir`, `A256GCM`) through jose,
 *   which Baton already depends on for its tokens: a random 96-bit IV per seal, the
 *   authentication tag checked on open, and a self-describing header whose `kid` names the key so
 *   keys can rotate (the first key seals, every key opens). The header also carries `ctx`, the
 *   user and factor the secret belongs to; the header is the AEAD's additional data, so a sealed
 *   secret copied onto another user's row does not open.
 * - **Recovery codes** are 80 random bits each (16 Crockford base32 characters), so a single
 *   SHA-256 over `userId:code` is enough: a slow password hash protects low-entropy secrets from
 *   guessing, and 2^80 guesses per code is out of reach whatever the hash costs. The user id
 *   salts it, so equal codes of two users never share a hash.
 * @internal
 */
import { primitives } from '#crypto'
import { base64url, CompactEncrypt, compactDecrypt } from 'jose'

/** @internal Seals and opens TOTP secrets with the configured keys. */
export interface SecretSealer {
  seal(secret: string, context: string): Promise<string>
  /** The secret, or `null` when no key opens it or it belongs to another context. */
  open(sealed: string, context: string): Promise<string | null>
}

const encoder = new TextEncoder()

const kidOf = (key: Uint8Array<ArrayBuffer>) => base64url.encode(primitives.sha256(key).slice(0, 8))

/** @internal A sealer over `keys` (each 32 bytes); the first seals. */
export function secretSealer(keys: readonly Uint8Array<ArrayBuffer>[]): SecretSealer {
  const kids = keys.map(kidOf)
  return {
    async seal(secret, context) {
      const kid = kids[0]!
      return new CompactEncrypt(encoder.encode(secret))
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid, ctx: context })
        .encrypt(keys[0]!)
    },
    async open(sealed, context) {
      for (const [index, key] of keys.entries()) {
        try {
          const { plaintext, protectedHeader } = await compactDecrypt(sealed, key, {
            keyManagementAlgorithms: ['dir'],
            contentEncryptionAlgorithms: ['A256GCM'],
          })
          if (protectedHeader.kid !== kids[index] || protectedHeader.ctx !== context) return null
          return new TextDecoder().decode(plaintext)
        } catch {
          // Another key sealed it (or nobody did): try the next.
        }
      }
      return null
    },
  }
}

/** Crockford's base32: no I, L, O or U, so a code read aloud or typed is hard to get wrong. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** @internal How many recovery codes a set has. */
export const RECOVERY_CODE_COUNT = 10

/** @internal Ten fresh recovery codes, `XXXX-XXXX-XXXX-XXXX` (80 random bits each). */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    // 16 bytes, 5 bits of each: 80 bits, and no modulo bias (32 divides 256).
    const chars = [...primitives.randomBytes(16)].map((byte) => ALPHABET[byte & 31]!)
    return [0, 4, 8, 12].map((at) => chars.slice(at, at + 4).join('')).join('-')
  })
}

/**
 * @internal The canonical form of a typed code: case, spaces and hyphens ignored, and the letters
 * Crockford reads as digits (O → 0, I and L → 1) mapped. `null` when it cannot be a code.
 */
export function normalizeRecoveryCode(code: string): string | null {
  const plain = code.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1')
  return /^[0-9A-HJKMNP-TV-Z]{16}$/.test(plain) ? plain : null
}

/** @internal The stored hash of a (normalized) recovery code of `userId`. */
export function hashRecoveryCode(userId: string, normalized: string): string {
  return base64url.encode(primitives.sha256(encoder.encode(`${userId}:${normalized}`)))
}

/** @internal A random id (factors, tickets, challenges): base64url of `bytes` random bytes. */
export const randomId = (bytes = 16) => base64url.encode(primitives.randomBytes(bytes))

/** @internal SHA-256, base64url: tickets are stored under their hash, never as they were sent. */
export const digest = (value: string) => base64url.encode(primitives.sha256(encoder.encode(value)))
