/**
 * @module
 * OpenID Connect Back-Channel Logout 1.0: validating a `logout_token` (§2.6). The signature is
 * checked by jose against the provider's JWKS; the rest is the spec's list: `iss`, `aud`, `iat`,
 * `jti`, the `events` claim, `sub` and/or `sid`, no `nonce`, and a `typ` that is not some other
 * kind of JWT. `jti` replay is refused through the shared state store, so a token replayed to
 * another instance is refused too.
 * @internal
 */
import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'

/** The `events` member that makes a JWT a logout token (§2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout'

/** Asymmetric algorithms only: a provider's logout token is never MACed with the client secret here. */
const ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]

/** How old a logout token may be (by `iat`); its `jti` is remembered a little longer than that. */
export const LOGOUT_TOKEN_MAX_AGE_SECONDS = 600
const CLOCK_TOLERANCE_SECONDS = 30

/** @internal A validated logout token: whom to sign out. */
export interface LogoutTarget {
  jti: string
  sub: string | null
  sid: string | null
  /** The token's `iat`, epoch seconds on the provider's clock. */
  issuedAt: number
  /** Seconds the `jti` must be remembered for. */
  rememberSeconds: number
  /**
   * Epoch ms after which a session started after the logout this token reports (its `iat`, with
   * the clock tolerance): a later sign-in at the provider, which this token does not end.
   */
  startedAfter: number
}

/** @internal Thrown for a logout token that fails validation; the route answers 400. */
export class InvalidLogoutToken extends Error {
  override readonly name = 'InvalidLogoutToken'
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const nonEmpty = (value: unknown, max = 1024): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= max

/**
 * The provider's key set could not be had, which is not the token's fault: a timeout, a network
 * error, an answer that is no key set (jose's generic error: a 5xx page, a body that is not JSON),
 * or no key of that id yet (a key the provider just rotated in, while jose waits out its cooldown
 * before fetching the set again). The provider's retry is judged once the keys are back.
 */
const keySetUnavailable = (error: unknown) =>
  !(error instanceof errors.JOSEError) ||
  error.code === errors.JOSEError.code ||
  error instanceof errors.JWKSTimeout ||
  error instanceof errors.JWKSInvalid ||
  error instanceof errors.JWKSNoMatchingKey

/**
 * @internal Validates `token` (§2.6 steps 2–5; replay, step 6, is the caller's, once the rest
 * passed). Throws {@link InvalidLogoutToken} for a bad token and rethrows JWKS fetch failures.
 */
export async function validateLogoutToken(
  token: string,
  keys: JWTVerifyGetKey,
  expected: { issuer: string; clientId: string; now: number },
): Promise<LogoutTarget> {
  let payload: JWTPayload
  let typ: string | undefined
  try {
    const verified = await jwtVerify(token, keys, {
      issuer: expected.issuer,
      audience: expected.clientId,
      algorithms: ALGORITHMS,
      requiredClaims: ['iat', 'jti', 'events'],
      maxTokenAge: LOGOUT_TOKEN_MAX_AGE_SECONDS,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(expected.now),
    })
    payload = verified.payload
    typ = verified.protectedHeader.typ
  } catch (error) {
    if (keySetUnavailable(error)) throw error
    throw new InvalidLogoutToken(error instanceof Error ? error.message : 'invalid token', {
      cause: error,
    })
  }
  // Explicit typing (§2.4, RFC 8725 §3.11) when the provider uses it; another type is another JWT.
  if (typ !== undefined && !/^(application\/)?(logout\+jwt|jwt)$/i.test(typ)) {
    throw new InvalidLogoutToken(`typ "${typ}" is not a logout token`)
  }
  // A nonce would let an ID token pass as a logout token, and the reverse (§2.4).
  if ('nonce' in payload) throw new InvalidLogoutToken('a logout token must not carry a nonce')
  const events = payload['events']
  if (!isObject(events) || !isObject(events[BACKCHANNEL_LOGOUT_EVENT])) {
    throw new InvalidLogoutToken(`events must hold the ${BACKCHANNEL_LOGOUT_EVENT} member`)
  }
  const sub = payload.sub === undefined ? null : payload.sub
  const sid = payload['sid'] === undefined ? null : payload['sid']
  if (sub === null && sid === null) throw new InvalidLogoutToken('sub or sid is required')
  if ((sub !== null && !nonEmpty(sub)) || (sid !== null && !nonEmpty(sid))) {
    throw new InvalidLogoutToken('sub and sid must be non-empty strings')
  }
  if (!nonEmpty(payload.jti, 256)) throw new InvalidLogoutToken('jti must be a non-empty string')
  return {
    jti: payload.jti,
    sub,
    sid,
    issuedAt: payload.iat!,
    rememberSeconds: LOGOUT_TOKEN_MAX_AGE_SECONDS + 2 * CLOCK_TOLERANCE_SECONDS,
    startedAfter: (payload.iat! + CLOCK_TOLERANCE_SECONDS) * 1000,
  }
}
