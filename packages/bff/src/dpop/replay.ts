/**
 * @module
 * The DPoP replay cache (RFC 9449 §11.1): a proof is accepted once. The cache a BFF uses is its
 * session store's `rememberProof`, shared by every instance; this module holds the type, the
 * in-process fallback, and the key a proof is remembered under.
 * @internal
 */
import { base64url } from 'jose'

/**
 * Where seen DPoP proofs are remembered: set-if-absent until `expiresAt` (epoch ms); `true` when
 * `key` was not held. Every built-in `SessionStore` is one.
 */
export interface ProofReplayCache {
  rememberProof(key: string, expiresAt: number, now: number): Promise<boolean>
}

/** @internal A cache in this process, for a store without `rememberProof` and for `requireAuth`. */
export function memoryReplayCache(): ProofReplayCache {
  const seen = new Map<string, number>()
  let writes = 0
  return {
    // eslint-disable-next-line @typescript-eslint/require-await -- a rejection, never a throw
    async rememberProof(key, expiresAt, now) {
      // Swept every so many writes, so the map stays about the size of one proof window's traffic.
      if (++writes > Math.max(1024, seen.size)) {
        writes = 0
        for (const [held, until] of seen) if (until <= now) seen.delete(held)
      }
      const until = seen.get(key)
      if (until !== undefined && now < until) return false
      seen.set(key, expiresAt)
      return true
    },
  }
}

const encoder = new TextEncoder()

/**
 * @internal The key a proof is remembered under: SHA-256 of its key's thumbprint and its `jti`.
 * Scoped to the key, so nobody can spend another client's `jti` in advance; a fixed 43 characters
 * whatever the client sent, so a long `jti` cannot bloat the store.
 */
export async function replayKey(jkt: string, jti: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', encoder.encode(`${jkt}.${jti}`))
  return base64url.encode(new Uint8Array(digest))
}
