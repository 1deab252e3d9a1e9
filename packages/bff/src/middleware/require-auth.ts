/**
 * @module
 * `requireAuth()`: stateless verification of Baton access tokens for any Hono service.
 */
import type { MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import { DPOP_HEADER, DPOP_NONCE_HEADER, parseDuration } from '@baton/protocol'
import { dpopTokenRefused, invalidProof } from '../dpop/errors.js'
import { normalizeRequireAuthDpop } from '../dpop/options.js'
import { verifyProof } from '../dpop/proof.js'
import type { RequireAuthVariables } from '../env.js'
import { BffError } from '../errors.js'
import { issuedBeforeEpoch } from '../revocation-epoch.js'
import { checkStepUp, demandsNothing, normalizeStepUp } from '../step-up/challenge.js'
import {
  isKeySourceFailure,
  keyLookup,
  verifyAccessToken,
  type AccessTokenClaims,
} from '../tokens/access.js'
import type { RequireAuthOptions } from './require-auth-options.js'
import { VerifiedTokens } from './verified-tokens.js'

/** Verified tokens remembered by default: about 15 MB at most. */
const DEFAULT_VERIFIED_TOKEN_CACHE = 10_000

/** The BFF's default `accessTokenTtl`: the longest a default token lives. */
const DEFAULT_MAX_TOKEN_AGE = '5m'

// The scheme name is case-insensitive (RFC 9110 §11.1); the token is RFC 6750's b64token.
const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i
const DPOP = /^DPoP ([A-Za-z0-9._~+/-]+=*)$/i
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
 * `aud`, `exp` with a small clock skew, an `iat` no older than `maxTokenAge`, and a known `kid`.
 * Anything else is `401 invalid_token` with `WWW-Authenticate: Bearer error="invalid_token"`. With
 * `maxAge` or `acr`, a valid token whose authentication falls short is `401 step_up_required`
 * with the RFC 9470 challenge. A remote `jwks` that cannot be loaded (unreachable, timed out, not
 * a JWK Set) says nothing about the token: that is `503 jwks_unavailable` with `Retry-After: 1`,
 * a transient code (retry; the session is not over). On success, `c.var.userId`,
 * `c.var.sessionId`, `c.var.claims`, `c.var.authTime`, `c.var.amr` and `c.var.acr` are set. In the
 * BFF's own process, `bff.requireAuth()` is this middleware with the BFF's keys, issuer, audience,
 * token lifetime and store already filled in.
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
  const cacheSize = options.verifiedTokenCache ?? DEFAULT_VERIFIED_TOKEN_CACHE
  if (!Number.isInteger(cacheSize) || cacheSize < 0) {
    throw new TypeError(
      `requireAuth: verifiedTokenCache must be a whole number of at least 0, got ${String(cacheSize)}`,
    )
  }
  const verifyOptions = {
    issuer: options.issuer,
    audience: options.audience,
    algorithms,
    clockToleranceSec: clockToleranceMs / 1000,
    maxTokenAgeSec: maxTokenAgeMs / 1000,
  }
  const verified = new VerifiedTokens(cacheSize, verifyOptions)
  const now = options.now ?? (() => Date.now())
  const stepUp = normalizeStepUp(options, 'requireAuth')
  const dpop = normalizeRequireAuthDpop(options.dpop, 'requireAuth')
  const nonceNow = async () => (dpop.nonces ? dpop.nonces.current(now()) : null)

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
  // `bff.admin.revokeAll()`: one number instead of every session id.
  let epoch = 0
  options.checkRevoked?.subscribeRevocationEpoch?.((raised) => {
    epoch = Math.max(epoch, raised)
  })

  /** Full verification: signature, header and claims (jose). */
  const verify = async (token: string, at: number): Promise<AccessTokenClaims> => {
    try {
      return await verifyAccessToken(token, getKey, { ...verifyOptions, now: at })
    } catch (error) {
      if (isKeySourceFailure(error)) {
        throw new BffError(503, 'jwks_unavailable', 'The verification keys could not be loaded.', {
          cause: error,
          headers: { 'retry-after': '1' },
        })
      }
      throw invalidToken('The access token is invalid or expired.', error)
    }
  }

  return createMiddleware<{ Variables: RequireAuthVariables }>(async function requireAuth(c, next) {
    const header = c.req.header('authorization')
    if (header === undefined) {
      if (dpop.mode === 'required') {
        throw dpopTokenRefused('A DPoP-bound access token is required.', await nonceNow())
      }
      throw new BffError(401, 'invalid_token', 'A bearer access token is required.', {
        headers: { 'www-authenticate': 'Bearer' },
      })
    }
    const bearer = BEARER.exec(header)
    const match = bearer ?? DPOP.exec(header)
    if (!match) throw invalidToken('The Authorization header is not a bearer token.')
    const token = match[1]!
    const at = now()
    let claims = verified.get(token, at)
    if (claims === undefined) {
      claims = verified.set(token, await verify(token, at))
    }
    // Whatever can change while a token stays the same is checked on every request, cached or not.
    if (revoked.has(claims.sid) || issuedBeforeEpoch(claims.iat, epoch)) {
      throw invalidToken('The session of this token was revoked.')
    }
    const jkt = claims.cnf?.jkt
    if (bearer) {
      // A bound token without its proof is a token copied out of its browser (RFC 9449 §7.2).
      if (jkt !== undefined) {
        throw dpopTokenRefused(
          'This access token is bound to a key; send it as Authorization: DPoP with a proof.',
          await nonceNow(),
        )
      }
      if (dpop.mode === 'required') {
        throw dpopTokenRefused('A DPoP-bound access token is required.', await nonceNow())
      }
    } else {
      if (jkt === undefined) {
        throw dpopTokenRefused('The access token is not bound to a key.', await nonceNow())
      }
      const proof = await verifyProof(
        c.req.header(DPOP_HEADER),
        { method: c.req.method, url: c.req.url, accessToken: token },
        dpop,
        now(),
        401,
      )
      if (proof.jkt !== jkt) {
        throw invalidProof(
          'The DPoP proof is not signed by the key the access token is bound to',
          await nonceNow(),
        )
      }
    }
    const authTime = claims.auth_time === undefined ? null : claims.auth_time * 1000
    const acr = claims.acr ?? null
    if (!demandsNothing(stepUp)) checkStepUp(stepUp, { authTime, acr }, now())
    c.set('userId', claims.sub)
    c.set('sessionId', claims.sid)
    c.set('claims', claims)
    c.set('authTime', authTime)
    c.set('amr', claims.amr ?? [])
    c.set('acr', acr)
    await next()
    // With nonces on, every answer carries the current one, so the next proof has it (§9).
    const nonce = await nonceNow()
    if (nonce !== null) c.header(DPOP_NONCE_HEADER, nonce)
  })
}
