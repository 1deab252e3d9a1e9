/**
 * @module
 * The session protocol: login, refresh with rotation, grace window and reuse detection, logout,
 * and revocation. It lives here once; stores only provide an atomic compare-and-set.
 */
import type { Context } from 'hono'
import { BffError, isBffError, storeUnavailable } from './errors.js'
import type { BffConfig } from './options.js'
import {
  isLive,
  type RevocationReason,
  type SessionUser,
  type StoredSession,
} from './stores/types.js'
import { signAccessToken } from './tokens/access.js'
import {
  hashRefreshToken,
  isAuthentic,
  mintRefreshToken,
  newSessionId,
  newTokenKey,
  openSuccessor,
  parseRefreshToken,
  sealSuccessor,
  type ParsedRefreshToken,
} from './tokens/refresh.js'

/** Who is asking: recorded on sessions and events. */
export interface RequestMeta {
  ip: string | null
  userAgent: string | null
}

/** @internal Who is asking, read once per request; the user agent is capped so it cannot bloat the store. */
export const requestMeta = (config: Pick<BffConfig, 'clientIp'>, c: Context): RequestMeta => ({
  ip: config.clientIp(c),
  userAgent: c.req.header('user-agent')?.slice(0, 512) ?? null,
})

/** What login and refresh hand back to the route. */
export interface Issued {
  accessToken: string
  expiresAt: number
  expiresIn: number
  refreshToken: string
  /** Seconds the cookie may live: the session's remaining absolute lifetime. */
  cookieMaxAge: number
  user: SessionUser
  sessionId: string
}

/** A session as `GET /auth/sessions` lists it. */
export interface SessionSummary {
  id: string
  createdAt: number
  lastUsedAt: number
  expiresAt: number
  userAgent: string | null
  ip: string | null
  current: boolean
}

// A lost compare-and-set means another request rotated first; the next read sees our token as
// the previous one and takes the grace path. More than a few losses in a row is pathological.
const MAX_ROTATION_ATTEMPTS = 8

const unauthorized = (
  code: 'no_session' | 'session_expired' | 'session_revoked' | 'refresh_token_reused',
  message: string,
) => new BffError(401, code, message)

/** @internal */
export function createSessionService(config: BffConfig) {
  const { store, emit } = config

  // Every store call goes through here: a store that throws anything but a BffError is down.
  const storeCall = async <T>(operation: () => Promise<T>): Promise<T> => {
    try {
      return await operation()
    } catch (error) {
      if (isBffError(error)) throw error
      throw storeUnavailable(error)
    }
  }

  const issue = async (
    session: Pick<StoredSession, 'id' | 'userId' | 'user' | 'expiresAt'>,
    refreshToken: string,
    now: number,
  ): Promise<Issued> => {
    const { token, expiresAt } = await signAccessToken(
      config.keys,
      {
        issuer: config.issuer,
        audience: config.audience,
        userId: session.userId,
        sessionId: session.id,
      },
      now,
      config.accessTokenTtlMs,
    )
    return {
      accessToken: token,
      expiresAt,
      expiresIn: Math.max(0, Math.floor((expiresAt - now) / 1000)),
      refreshToken,
      cookieMaxAge: Math.max(0, Math.floor((session.expiresAt - now) / 1000)),
      user: session.user,
      sessionId: session.id,
    }
  }

  const revoke = async (
    session: StoredSession,
    reason: RevocationReason,
    meta: RequestMeta,
    now: number,
  ) => {
    const revoked = await storeCall(() => store.revoke(session.id, reason, now))
    if (revoked) {
      const about = { sessionId: session.id, userId: session.userId, at: now, ...meta }
      // Theft is reported before its consequence, so an audit log reads cause first.
      if (reason === 'reuse_detected') {
        emit({ type: 'reuse_detected', generation: session.generation, ...about })
      }
      emit({ type: 'revoked', reason, ...about })
    }
    return revoked
  }

  const endFor = (session: StoredSession) => {
    switch (session.revokedReason) {
      case 'reuse_detected':
        return unauthorized(
          'refresh_token_reused',
          'This session was ended because its refresh token was reused.',
        )
      case 'expired':
        return unauthorized('session_expired', 'The session has expired; sign in again.')
      default:
        return unauthorized('session_revoked', 'The session was signed out; sign in again.')
    }
  }

  /** Finds the session a cookie names, if the token really is one the BFF minted for it. */
  const authenticSession = async (token: ParsedRefreshToken): Promise<StoredSession | null> => {
    const session = await storeCall(() => store.get(token.sessionId))
    if (!session || !(await isAuthentic(token, session.tokenKey))) return null
    return session
  }

  return {
    async login(user: SessionUser, meta: RequestMeta): Promise<Issued> {
      const now = config.now()
      const id = newSessionId()
      const tokenKey = newTokenKey()
      const refreshToken = await mintRefreshToken(id, tokenKey)
      const session: StoredSession = {
        id,
        userId: user.id,
        user,
        createdAt: now,
        lastUsedAt: now,
        expiresAt: now + config.absoluteTimeoutMs,
        idleExpiresAt: now + config.idleTimeoutMs,
        userAgent: meta.userAgent,
        ip: meta.ip,
        tokenKey,
        tokenHash: await hashRefreshToken(refreshToken),
        previousTokenHash: null,
        rotatedAt: null,
        sealedSuccessor: null,
        generation: 0,
        revokedAt: null,
        revokedReason: null,
      }
      await storeCall(() => store.create(session, now))
      const issued = await issue(session, refreshToken, now)
      emit({ type: 'login', sessionId: id, userId: user.id, at: now, ...meta })
      return issued
    },

    async refresh(cookie: string | undefined, meta: RequestMeta): Promise<Issued> {
      if (cookie === undefined || cookie === '') {
        throw unauthorized('no_session', 'No refresh cookie was sent; sign in.')
      }
      const token = parseRefreshToken(cookie)
      if (!token) throw unauthorized('no_session', 'The refresh cookie is not valid; sign in.')
      const presentedHash = await hashRefreshToken(token.raw)

      for (let attempt = 0; attempt < MAX_ROTATION_ATTEMPTS; attempt++) {
        const now = config.now()
        const session = await storeCall(() => store.get(token.sessionId))
        // Swept after a deadline, or never existed: either way there is no session to continue.
        if (!session)
          throw unauthorized('session_expired', 'The session has expired; sign in again.')
        // A hash match proves the token is ours; only a stranger needs the (costlier) MAC check.
        const known =
          presentedHash === session.tokenHash || presentedHash === session.previousTokenHash
        if (!known && !(await isAuthentic(token, session.tokenKey))) {
          throw unauthorized('no_session', 'The refresh cookie is not valid; sign in.')
        }
        if (session.revokedAt !== null) throw endFor(session)

        const timedOut =
          now >= session.expiresAt ? 'absolute' : now >= session.idleExpiresAt ? 'idle' : null
        if (timedOut) {
          if (await storeCall(() => store.revoke(session.id, 'expired', now))) {
            emit({
              type: 'expired',
              reason: timedOut,
              sessionId: session.id,
              userId: session.userId,
              at: now,
              ...meta,
            })
          }
          throw unauthorized('session_expired', 'The session has expired; sign in again.')
        }

        if (presentedHash === session.tokenHash) {
          const successor = await mintRefreshToken(session.id, session.tokenKey)
          const rotated = await storeCall(async () =>
            store.rotate(
              session.id,
              presentedHash,
              {
                tokenHash: await hashRefreshToken(successor),
                previousTokenHash: presentedHash,
                rotatedAt: now,
                sealedSuccessor: await sealSuccessor(token, successor),
                generation: session.generation + 1,
                lastUsedAt: now,
                idleExpiresAt: now + config.idleTimeoutMs,
                ip: meta.ip ?? session.ip,
                userAgent: meta.userAgent ?? session.userAgent,
              },
              now,
            ),
          )
          if (!rotated) continue
          const issued = await issue(session, successor, now)
          emit({
            type: 'refresh',
            duplicate: false,
            generation: session.generation + 1,
            sessionId: session.id,
            userId: session.userId,
            at: now,
            ...meta,
          })
          return issued
        }

        // A duplicate of the last rotation (a lost response, two tabs racing) inside the grace
        // window receives the successor already minted, so the family never splits.
        const inGrace =
          presentedHash === session.previousTokenHash &&
          session.rotatedAt !== null &&
          // `gracePeriod: 0` means no grace at all, even for a duplicate in the same millisecond.
          config.gracePeriodMs > 0 &&
          now - session.rotatedAt <= config.gracePeriodMs &&
          session.sealedSuccessor !== null
        const successor = inGrace
          ? await openSuccessor(token, session.sealedSuccessor!, session.tokenHash)
          : null
        if (successor) {
          const issued = await issue(session, successor, now)
          emit({
            type: 'refresh',
            duplicate: true,
            generation: session.generation,
            sessionId: session.id,
            userId: session.userId,
            at: now,
            ...meta,
          })
          return issued
        }

        // An authentic token that is no longer current: someone kept a copy. The server cannot
        // tell thief from owner, so the whole family ends (RFC 9700 §4.14.2).
        await revoke(session, 'reuse_detected', meta, now)
        throw unauthorized(
          'refresh_token_reused',
          'This refresh token was already used; the session has been ended.',
        )
      }
      throw storeUnavailable(new Error('refresh: too many concurrent rotations'))
    },

    async logout(
      cookie: string | undefined,
      everywhere: boolean,
      meta: RequestMeta,
    ): Promise<void> {
      const token = parseRefreshToken(cookie)
      if (!token) return
      const session = await authenticSession(token)
      const now = config.now()
      // A session past its deadlines is over already; its cookie must not end the others.
      if (!session || !isLive(session, now)) return
      if (everywhere) {
        const revoked = await storeCall(() =>
          store.revokeByUser(session.userId, 'logout_everywhere', now),
        )
        emit({
          type: 'logout',
          everywhere: true,
          sessionId: session.id,
          userId: session.userId,
          at: now,
          ...meta,
        })
        for (const other of revoked) {
          if (other.id === session.id) continue
          emit({
            type: 'revoked',
            reason: 'logout_everywhere',
            sessionId: other.id,
            userId: other.userId,
            at: now,
            ...meta,
          })
        }
        return
      }
      if (await storeCall(() => store.revoke(session.id, 'logout', now))) {
        emit({
          type: 'logout',
          everywhere: false,
          sessionId: session.id,
          userId: session.userId,
          at: now,
          ...meta,
        })
      }
    },

    /** The live session behind an access token, or `null` if it ended. */
    async liveSession(sessionId: string): Promise<StoredSession | null> {
      const session = await storeCall(() => store.get(sessionId))
      return session && isLive(session, config.now()) ? session : null
    },

    async list(userId: string, currentSessionId: string): Promise<SessionSummary[]> {
      const sessions = await storeCall(() => store.listByUser(userId, config.now()))
      return sessions.map((s) => ({
        id: s.id,
        createdAt: s.createdAt,
        lastUsedAt: s.lastUsedAt,
        expiresAt: s.expiresAt,
        userAgent: s.userAgent,
        ip: s.ip,
        current: s.id === currentSessionId,
      }))
    },

    /** Revokes one of the user's sessions; `false` when it is not theirs or not live. */
    async revokeOwn(userId: string, sessionId: string, meta: RequestMeta): Promise<boolean> {
      const now = config.now()
      const session = await storeCall(() => store.get(sessionId))
      if (!session || session.userId !== userId || !isLive(session, now)) return false
      return (await revoke(session, 'revoked', meta, now)) !== null
    },
  }
}

/** @internal */
export type SessionService = ReturnType<typeof createSessionService>
