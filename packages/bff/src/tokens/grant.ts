/**
 * @module
 * What login and refresh hand back to the route: a freshly signed access token with its expiry,
 * the refresh token for the cookie, and how long that cookie may live.
 * @internal
 */
import type { SessionUser } from '@baton/protocol'
import type { BffConfig } from '../options.js'
import type { StoredSession } from '../stores/types.js'
import { signAccessToken } from './access.js'

/** @internal */
export interface Issued {
  accessToken: string
  /** `DPoP` for a session bound to a browser key (RFC 9449 §5), else `Bearer`. */
  tokenType: 'Bearer' | 'DPoP'
  expiresAt: number
  expiresIn: number
  /** Seconds until the session's idle deadline. */
  idleExpiresIn: number
  refreshToken: string
  /** Seconds the cookie may live: the session's remaining absolute lifetime. */
  cookieMaxAge: number
  user: SessionUser
  sessionId: string
}

/**
 * @internal Signs an access token for `session` at `now` and pairs it with `refreshToken`. A bound
 * session's token carries its key thumbprint (`cnf.jkt`, RFC 9449 §6.1).
 */
export async function issueGrant(
  config: Pick<BffConfig, 'keys' | 'issuer' | 'audience' | 'clientId' | 'accessTokenTtlMs'>,
  session: Pick<
    StoredSession,
    'id' | 'userId' | 'user' | 'expiresAt' | 'idleExpiresAt' | 'authTime' | 'amr' | 'acr' | 'jkt'
  >,
  refreshToken: string,
  now: number,
): Promise<Issued> {
  const { token, expiresAt } = await signAccessToken(
    config.keys,
    {
      issuer: config.issuer,
      audience: config.audience,
      clientId: config.clientId,
      userId: session.userId,
      sessionId: session.id,
      authTime: session.authTime,
      amr: session.amr,
      acr: session.acr,
      jkt: session.jkt,
    },
    now,
    config.accessTokenTtlMs,
    session.expiresAt,
  )
  return {
    accessToken: token,
    tokenType: session.jkt === null ? 'Bearer' : 'DPoP',
    expiresAt,
    expiresIn: Math.max(0, Math.floor((expiresAt - now) / 1000)),
    // Rounded down, so a client planning by it never counts on a second the session lacks.
    idleExpiresIn: Math.max(0, Math.floor((session.idleExpiresAt - now) / 1000)),
    refreshToken,
    cookieMaxAge: Math.max(0, Math.floor((session.expiresAt - now) / 1000)),
    user: session.user,
    sessionId: session.id,
  }
}
