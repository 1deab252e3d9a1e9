/**
 * @module
 * The cache of verified access tokens behind `requireAuth()`: a browser sends the same token on
 * every API call for its whole lifetime, and checking its ES256 signature again each time is most
 * of what the middleware costs. The cache saves exactly that check and nothing else.
 *
 * - The key is the whole compact JWS, signature included: a token with any byte changed is
 *   another key, so it is verified in full (and refused) like any token never seen.
 * - Only tokens that passed verification are stored, so a flood of forged tokens cannot fill it.
 * - A hit is re-checked against the clock as jose would (`exp` and the `iat` age, both with the
 *   clock tolerance), so a cached token expires on time; an expired entry is dropped and the
 *   token goes through full verification, which refuses it with the usual error.
 * - Everything that can change while a token stays the same is checked by the caller on every
 *   request, hit or miss: the revocation set and epoch, the DPoP proof of a bound token, step-up.
 * - Bounded: at most `max` entries, least recently used first out.
 * @internal
 */
import type { AccessTokenClaims } from '../tokens/access.js'

/** @internal How the cached claims are re-checked against the clock. */
export interface TokenClock {
  clockToleranceSec: number
  maxTokenAgeSec: number
}

/** Freezes the claims an entry hands to every request, so one handler cannot alter another's. */
function freezeClaims(claims: AccessTokenClaims): AccessTokenClaims {
  for (const value of Object.values(claims)) {
    if (typeof value === 'object' && value !== null) Object.freeze(value)
  }
  return Object.freeze(claims)
}

/** @internal A bounded LRU map from a verified token to its claims. */
export class VerifiedTokens {
  readonly #entries = new Map<string, AccessTokenClaims>()
  readonly #max: number
  readonly #clock: TokenClock

  constructor(max: number, clock: TokenClock) {
    this.#max = max
    this.#clock = clock
  }

  /** Entries held. */
  get size(): number {
    return this.#entries.size
  }

  /** The claims of `token` if it was verified and is still within its lifetime at `now` (ms). */
  get(token: string, now: number): AccessTokenClaims | undefined {
    const claims = this.#entries.get(token)
    if (claims === undefined) return undefined
    // jose's own comparisons (whole seconds, the tolerance on each): a hit passes exactly when a
    // fresh verification at `now` would, also if the clock was set back.
    const nowSec = Math.floor(now / 1000)
    const { clockToleranceSec: tolerance, maxTokenAgeSec } = this.#clock
    const age = nowSec - claims.iat
    if (
      claims.exp <= nowSec - tolerance ||
      age - tolerance > maxTokenAgeSec ||
      age < -tolerance ||
      (claims.nbf !== undefined && claims.nbf > nowSec + tolerance)
    ) {
      this.#entries.delete(token)
      return undefined
    }
    // Most recently used goes last: a Map iterates in insertion order.
    this.#entries.delete(token)
    this.#entries.set(token, claims)
    return claims
  }

  /** Remembers a token that just passed full verification; returns its (frozen) claims. */
  set(token: string, claims: AccessTokenClaims): AccessTokenClaims {
    const frozen = freezeClaims(claims)
    if (this.#max === 0) return frozen
    this.#entries.delete(token)
    this.#entries.set(token, frozen)
    if (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#entries.delete(oldest)
    }
    return frozen
  }
}
