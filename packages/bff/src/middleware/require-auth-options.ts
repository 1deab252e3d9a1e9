/**
 * @module
 * The options of `requireAuth()`: where keys come from, what a token must say, how revocations and
 * device-bound tokens are checked, and the clock.
 */
import type { Duration } from '@baton/protocol'
import type { RequireAuthDpop } from '../dpop/options.js'
import type { StepUpOptions } from '../step-up/challenge.js'
import type { SessionStore } from '../stores/types.js'
import type { JwksSource } from '../tokens/access.js'
import type { SigningAlgorithm } from '../tokens/keys.js'

/**
 * Options of {@link requireAuth}. `maxAge` and `acr` (from {@link StepUpOptions}) make it a
 * step-up gate (RFC 9470): a valid token whose authentication is too old or of another class is
 * answered `401 step_up_required` with `WWW-Authenticate: Bearer
 * error="insufficient_user_authentication"`, which the client meets with `POST /reauthenticate`.
 */
export interface RequireAuthOptions extends StepUpOptions {
  /**
   * Verification keys: the `SigningKeys` given to `createBff` (same process), a JWKS object, or
   * the URL of a BFF's `/.well-known/jwks.json` (fetched and cached by jose, refetched when an
   * unknown `kid` shows up after a key rotation).
   */
  jwks: JwksSource
  /** Expected `iss`. Must match the BFF's `issuer`. */
  issuer: string
  /** Expected `aud`. Must match the BFF's `audience`. */
  audience: string
  /**
   * Accepted algorithms; anything else (`none`, HS256, RS256) is refused before any key is used.
   * @default ['ES256', 'EdDSA']
   */
  algorithms?: readonly SigningAlgorithm[]
  /**
   * Allowed clock difference for `exp`, `iat` and `nbf`.
   * @default '5s'
   */
  clockTolerance?: Duration
  /**
   * The oldest token accepted, counted from its `iat` (plus `clockTolerance`), whatever its `exp`
   * says: the upper bound on how long this service can be made to accept a token, which is what
   * `revokedRetention` must cover. Give it the BFF's `accessTokenTtl`.
   * @default '5m' (the BFF's default `accessTokenTtl`; the BFF's own session routes use its
   * configured one)
   */
  maxTokenAge?: Duration
  /**
   * A session store to learn revocations from. Tokens of a revoked session are then refused at
   * once instead of living until `exp`. With the Redis store this works across instances through
   * Redis pub/sub. The subscription lasts as long as the store: close the store to end it.
   *
   * Without it, this middleware checks signatures and claims only: a token stays valid until its
   * `exp` (at most `maxTokenAge` after it was issued) after a logout or revocation. Keep access
   * tokens short-lived, or pass the store.
   *
   * A store that also has `subscribeRevocationEpoch` (all of Baton's do) makes
   * `bff.admin.revokeAll()` reach this middleware too: tokens issued before the epoch are refused.
   */
  checkRevoked?: Pick<SessionStore, 'subscribeRevocations'> &
    Partial<Pick<SessionStore, 'subscribeRevocationEpoch'>>
  /**
   * How long a revoked session id is remembered. It must outlast any token this middleware could
   * still accept, so with `checkRevoked` it must be at least `maxTokenAge` plus `clockTolerance`,
   * checked when the middleware is created (forgetting an id sooner would let a revoked session's
   * tokens back in).
   * @default '1h'
   */
  revokedRetention?: Duration
  /**
   * DPoP (RFC 9449 §7): how tokens bound to a browser key (`cnf.jkt`) are accepted.
   *
   * A bound token is accepted only as `Authorization: DPoP <token>` with a `DPoP` proof signed by
   * its key, for this request (`htm`, `htu`), fresh (`iat`), with the token's hash (`ath`) and
   * never seen before (`jti`); the same token as `Bearer` is refused (`401 invalid_token` with a
   * `DPoP` challenge), so a token copied out of the browser is useless without the key. With
   * `'allowed'` an unbound token is still accepted as a bearer token; `'required'` refuses it.
   * Give an object to set the mode with the proof settings: `origins` (the public origin the
   * proof's `htu` names, when a proxy stands in front of this service), `proofWindow`, `nonce`,
   * and `replay` (a store shared by every instance, so a proof replayed at another one is seen).
   * `bff.requireAuth()` fills those from the BFF.
   * @default 'allowed', the request's own origin, a 60 s window, no nonces, a replay cache in
   * this process
   */
  dpop?: RequireAuthDpop
  /**
   * How many verified tokens to remember, so a token sent again skips its signature check (the
   * most expensive part of this middleware); `0` verifies every request in full. Only the
   * signature check is saved: expiry, `maxTokenAge`, revocations, the revocation epoch, DPoP
   * proofs and step-up are checked on every request, and a token differing in any byte is
   * verified anew. Least recently used first out; an entry holds the token and its claims,
   * about 1.5 KB.
   * @default 10000
   */
  verifiedTokenCache?: number
  /**
   * The clock, for tests.
   * @default Date.now
   */
  now?: () => number
}
