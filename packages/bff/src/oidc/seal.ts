/**
 * @module
 * Encryption of what OpenID Connect sign-in keeps outside the BFF's memory: the transaction cookie
 * (state, nonce, PKCE verifier), and the upstream tokens and the end-session URL (its ID token
 * hint) at rest in the store. Each is a JWE (`dir`, `A256GCM`) made and opened by jose, so no cipher mode, IV or tag is
 * handled here; the 256-bit keys come from the application's secret through HKDF-SHA-256
 * (WebCrypto), one key per purpose, so a value sealed for one use never opens as another.
 * @internal
 */
import { EncryptJWT, jwtDecrypt, type JWTPayload } from 'jose'

/** What a sealed value is for; each purpose has its own key. */
export type SealPurpose = 'transaction' | 'upstream' | 'end_session'

/** @internal Seals and opens JWEs under the application's secret(s). */
export interface Sealer {
  /** A compact JWE of `claims`, expiring `ttlSeconds` after `now`. */
  seal(purpose: SealPurpose, claims: JWTPayload, ttlSeconds: number, now: number): Promise<string>
  /**
   * The claims of `token`, or `null` when no key opens it, it was sealed for another purpose, was
   * tampered with, or expired at `now`.
   */
  open(purpose: SealPurpose, token: string, now: number): Promise<JWTPayload | null>
}

const encoder = new TextEncoder()

async function deriveKey(secret: string, purpose: SealPurpose): Promise<Uint8Array<ArrayBuffer>> {
  const material = await crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, [
    'deriveBits',
  ])
  const bits = await crypto.subtle.deriveBits(
    {
      name: 'HKDF',
      hash: 'SHA-256',
      salt: encoder.encode('baton-oidc'),
      info: encoder.encode(`baton-oidc ${purpose} v1`),
    },
    material,
    256,
  )
  return new Uint8Array(bits)
}

/**
 * @internal A {@link Sealer} over `secrets`: the first seals, every one opens (so a secret can be
 * rotated: put the new one first, drop the old one once what it sealed has expired).
 */
export function createSealer(secrets: readonly string[]): Sealer {
  const keys = new Map<SealPurpose, Promise<Uint8Array<ArrayBuffer>[]>>()
  const keysFor = (purpose: SealPurpose) => {
    let derived = keys.get(purpose)
    if (!derived) {
      derived = Promise.all(secrets.map((secret) => deriveKey(secret, purpose)))
      keys.set(purpose, derived)
    }
    return derived
  }

  return {
    async seal(purpose, claims, ttlSeconds, now) {
      const [key] = await keysFor(purpose)
      const issuedAt = Math.floor(now / 1000)
      return new EncryptJWT(claims)
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + ttlSeconds)
        .encrypt(key!)
    },
    async open(purpose, token, now) {
      for (const key of await keysFor(purpose)) {
        try {
          const { payload } = await jwtDecrypt(token, key, {
            keyManagementAlgorithms: ['dir'],
            contentEncryptionAlgorithms: ['A256GCM'],
            currentDate: new Date(now),
          })
          return payload
        } catch {
          // Another key may open it; a value no key opens is refused below, whatever the reason.
        }
      }
      return null
    },
  }
}
