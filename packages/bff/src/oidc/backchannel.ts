/**
 * @module
 * OpenID Connect Back-Channel Logout 1.0: validating a `logout_token` (§2.6). The signature is
 * checked by jose against the provider's JWKS; the rest is the spec's list (incorporating errata
 * set 1): `iss`, `aud`, `iat`, `exp`, `jti`, the `events` claim, `sub` and/or `sid`, no `nonce`,
 * an `azp` naming this client (required when the token has several audiences), and a `typ` that is
 * not some other kind of JWT. `jti` replay is refused through the shared state store, so a token
 * replayed to another instance is refused too.
 * @internal
 */
import {
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose'

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
   * Epoch ms (the BFF's clock) after which a session started after the logout this token reports
   * (its `iat`, with the clock tolerance): a later sign-in at the provider, which this token does
   * not end. Compares two clocks, so the route asks it only of a `sub`-only token, and only when
   * the session's upstream record cannot tell on the provider's own clock (a record written before
   * its sign-in's `iat` was kept).
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
 * The claim's value, `null` only when its key is missing. Any value present must be a non-empty
 * string (§2.4: `sid` is a String, `sub` as in ID tokens): `"sid": null` read as absent would widen
 * a logout of one provider session into one of every session of `sub`.
 */
const optionalString = (payload: JWTPayload, claim: 'sub' | 'sid'): string | null => {
  if (!Object.hasOwn(payload, claim)) return null
  const value = payload[claim]
  if (!nonEmpty(value)) throw new InvalidLogoutToken(`${claim} must be a non-empty string`)
  return value
}

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
  // jose's key set matches a `kid` that is not a string (RFC 7515 §4.1.4 makes it one), or is the
  // empty string, with no key, and its "no matching key" reads as a key not yet rotated in (503:
  // the provider retries). Such a token can never pass, whatever the keys: a bad token (400),
  // refused before the lookup.
  let header: Record<string, unknown>
  try {
    header = decodeProtectedHeader(token)
  } catch (error) {
    throw new InvalidLogoutToken('the token is not a JWS', { cause: error })
  }
  if (Object.hasOwn(header, 'kid') && !nonEmpty(header['kid'])) {
    throw new InvalidLogoutToken('kid must be a non-empty string')
  }
  let payload: JWTPayload
  let typ: string | undefined
  try {
    const verified = await jwtVerify(token, keys, {
      issuer: expected.issuer,
      audience: expected.clientId,
      algorithms: ALGORITHMS,
      // `exp` is REQUIRED since errata set 1 (§2.4; §2.6 step 4 checks it as for ID tokens).
      requiredClaims: ['iat', 'exp', 'jti', 'events'],
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
  // §2.6 step 4 checks as for ID tokens (Core §3.1.3.7): a token for several audiences must name
  // the party it was issued to (`azp`, as openid-client requires of an ID token), and an `azp`
  // present must be the client's id: a token the provider issued to another client does not sign
  // this one's users out.
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && !Object.hasOwn(payload, 'azp')) {
    throw new InvalidLogoutToken('a token for several audiences must carry azp')
  }
  if (Object.hasOwn(payload, 'azp') && payload['azp'] !== expected.clientId) {
    throw new InvalidLogoutToken('azp names another client')
  }
  const sub = optionalString(payload, 'sub')
  const sid = optionalString(payload, 'sid')
  if (sub === null && sid === null) throw new InvalidLogoutToken('sub or sid is required')
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
