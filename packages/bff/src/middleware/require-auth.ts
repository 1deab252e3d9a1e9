/**
 * @module
 * `requireAuth()`: stateless verification of Baton access tokens for any Hono service.
 */
import type { MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import { parseDuration, type Duration } from '@baton/protocol'
import type { RequireAuthVariables } from '../env.js'
import { BffError } from '../errors.js'
import type { SessionStore } from '../stores/types.js'
import {
  isKeySourceFailure,
  keyLookup,
  verifyAccessToken,
  type AccessTokenClaims,
  type JwksSource,
} from '../tokens/access.js'
import type { SigningAlgorithm } from '../tokens/keys.js'

/** Options of {@link requireAuth}. */
export interface RequireAuthOptions {
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
   */
  checkRevoked?: Pick<SessionStore, 'subscribeRevocations'>
  /**
   * How long a revoked session id is remembered. It must outlast any token this middleware could
   * still accept, so with `checkRevoked` it must be at least `maxTokenAge` plus `clockTolerance`,
   * checked when the middleware is created (forgetting an id sooner would let a revoked session's
   * tokens back in).
   * @default '1h'
   */
  revokedRetention?: Duration
  /**
   * The clock, for tests.
   * @default Date.now
   */
  now?: () => number
}

/** The BFF's default `accessTokenTtl`: the longest a default token lives. */
const DEFAULT_MAX_TOKEN_AGE = '5m'

// The scheme name is case-insensitive (RFC 9110 §11.1); the token is RFC 6750's b64token.
const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i
const CHALLENGE = 'Bearer error="invalid_token"'

function invalidToken(message: string, cause?: unknown): BffError {
  return new BffError(401, 'invalid_token', message, {
    cause,
    headers: { 'www-authenticate': `${CHALLENGE}, error_description="${message}"` },
  })
}

/**
 * Verifies the `Authorization: Bearer` access token: signature against the JWKS with an algorithm
 * allowlist (so `alg: none` and HS256-with-the-public-key are refused), `typ: at+jwt`, `iss`,
 * `aud`, `exp` with a small clock skew, an `iat` no older than `maxTokenAge`, and a known `kid`. Anything else is
 * `401 invalid_token` with `WWW-Authenticate: Bearer error="invalid_token"`. On success,
 * `c.var.userId`, `c.var.sessionId` and `c.var.claims` are set. In the BFF's own process,
 * `bff.requireAuth()` is this middleware with the BFF's keys, issuer, audience, token lifetime and
 * store already filled in.
 *
 * @example
 * ```ts
 * const api = new Hono<{ Variables: RequireAuthVariables }>()
 * api.use(requireAuth({ jwks: 'https://app.example/.well-known/jwks.json', issuer, audience }))
 * api.get('/me', (c) => c.json({ id: c.var.userId }))
 * ```
 */
export function requireAuth(
  options: RequireAuthOptions,
): MiddlewareHandler<{ Variables: RequireAuthVariables }> {
  if (!options || options.jwks === undefined || options.jwks === null) {
    throw new TypeError('requireAuth: jwks is required')
  }
  if (typeof options.issuer !== 'string' || options.issuer === '') {
    throw new TypeError('requireAuth: issuer is required')
  }
  if (typeof options.audience !== 'string' || options.audience === '') {
    throw new TypeError('requireAuth: audience is required')
  }
  const algorithms = options.algorithms ?? ['ES256', 'EdDSA']
  for (const alg of algorithms) {
    if (alg !== 'ES256' && alg !== 'EdDSA') {
      throw new TypeError(
        `requireAuth: algorithm "${String(alg)}" is not allowed; use ES256 or EdDSA`,
      )
    }
  }
  const getKey = keyLookup(options.jwks)
  const clockToleranceMs = parseDuration(
    options.clockTolerance ?? '5s',
    'requireAuth: clockTolerance',
  )
  const retentionMs = parseDuration(
    options.revokedRetention ?? '1h',
    'requireAuth: revokedRetention',
  )
  const maxTokenAgeMs = parseDuration(
    options.maxTokenAge ?? DEFAULT_MAX_TOKEN_AGE,
    'requireAuth: maxTokenAge',
  )
  if (maxTokenAgeMs < 1_000) throw new TypeError('requireAuth: maxTokenAge must be at least 1s')
  // A revoked id forgotten while a token of its session could still pass would let that token
  // back in: the window must cover the oldest acceptable token, clock tolerance included.
  if (options.checkRevoked && retentionMs < maxTokenAgeMs + clockToleranceMs) {
    throw new TypeError(
      `requireAuth: revokedRetention (${retentionMs} ms) must be at least maxTokenAge ` +
        `(${maxTokenAgeMs} ms) plus clockTolerance (${clockToleranceMs} ms), or tokens of a ` +
        `revoked session pass again once it is forgotten`,
    )
  }
  const now = options.now ?? (() => Date.now())

  // Revoked session ids, each with the time it may be forgotten (its tokens have expired by then).
  const revoked = new Map<string, number>()
  options.checkRevoked?.subscribeRevocations((ids) => {
    const at = now()
    for (const [id, forgetAt] of revoked) {
      if (forgetAt > at) break
      revoked.delete(id)
    }
    for (const id of ids) {
      revoked.delete(id)
      revoked.set(id, at + retentionMs)
    }
  })

  return createMiddleware<{ Variables: RequireAuthVariables }>(async function requireAuth(c, next) {
    const header = c.req.header('authorization')
    if (header === undefined) {
      throw new BffError(401, 'invalid_token', 'A bearer access token is required.', {
        headers: { 'www-authenticate': 'Bearer' },
      })
    }
    const match = BEARER.exec(header)
    if (!match) throw invalidToken('The Authorization header is not a bearer token.')
    let claims: AccessTokenClaims
    try {
      claims = await verifyAccessToken(match[1]!, getKey, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms,
        clockToleranceSec: clockToleranceMs / 1000,
        maxTokenAgeSec: maxTokenAgeMs / 1000,
        now: now(),
      })
    } catch (error) {
      if (isKeySourceFailure(error)) {
        throw new BffError(503, 'jwks_unavailable', 'The verification keys could not be loaded.', {
          cause: error,
          headers: { 'retry-after': '1' },
        })
      }
      throw invalidToken('The access token is invalid or expired.', error)
    }
    if (revoked.has(claims.sid)) throw invalidToken('The session of this token was revoked.')
    c.set('userId', claims.sub)
    c.set('sessionId', claims.sid)
    c.set('claims', claims)
    await next()
  })
}
