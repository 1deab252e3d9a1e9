/**
 * @module
 * The session protocol: login, refresh with rotation, grace window and reuse detection, logout,
 * and revocation. It lives here once; stores only provide an atomic compare-and-set. What a
 * presented refresh token is, is decided by `classifyPresentedToken` (`refresh-decision.ts`);
 * this module acts on it.
 */
import type { SessionSummary, SessionUser } from '@baton/protocol'
import type { Context } from 'hono'
import { BffError, storeUnavailable } from './errors.js'
import { sessionEvent } from './events.js'
import type { BffConfig } from './options.js'
import { classifyPresentedToken } from './refresh-decision.js'
import { guardStore } from './stores/guard.js'
import { isLive, type RevocationReason, type StoredSession } from './stores/types.js'
import { issueGrant, type Issued } from './tokens/grant.js'
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

// A lost compare-and-set means another request rotated first; the next read sees our token as
// the previous one and takes the grace path. More than a few losses in a row is pathological.
const MAX_ROTATION_ATTEMPTS = 8

const unauthorized = (
  code: 'no_session' | 'session_expired' | 'session_revoked' | 'refresh_token_reused',
  message: string,
) => new BffError(401, code, message)

const invalidCookie = () => unauthorized('no_session', 'The refresh cookie is not valid; sign in.')
const expired = () => unauthorized('session_expired', 'The session has expired; sign in again.')

/** The answer to a token of a session that has already ended, by why it ended. */
const endFor = (session: StoredSession) => {
  switch (session.revokedReason) {
    case 'reuse_detected':
      return unauthorized(
        'refresh_token_reused',
        'This session was ended because its refresh token was reused.',
      )
    case 'expired':
      return expired()
    default:
      return unauthorized('session_revoked', 'The session was signed out; sign in again.')
  }
}

/** @internal */
export function createSessionService(config: BffConfig) {
  const { store, emit } = config

  const issue = (session: StoredSession, refreshToken: string, now: number) =>
    issueGrant(config, session, refreshToken, now)

  const revoke = async (
    session: StoredSession,
    reason: RevocationReason,
    meta: RequestMeta,
    now: number,
  ) => {
    const revoked = await guardStore(() => store.revoke(session.id, reason, now))
    if (revoked) {
      const about = sessionEvent(session, now, meta)
      // Theft is reported before its consequence, so an audit log reads cause first.
      if (reason === 'reuse_detected') {
        emit({ type: 'reuse_detected', generation: session.generation, ...about })
      }
      emit({ type: 'revoked', reason, ...about })
    }
    return revoked
  }

  /** Finds the session a cookie names, if the token really is one the BFF minted for it. */
  const authenticSession = async (token: ParsedRefreshToken): Promise<StoredSession | null> => {
    const session = await guardStore(() => store.get(token.sessionId))
    if (!session || !(await isAuthentic(token, session.tokenKey))) return null
    return session
  }

  /** Rotates the current token; `null` when another request rotated first. */
  const rotate = async (
    session: StoredSession,
    token: ParsedRefreshToken,
    presentedHash: string,
    meta: RequestMeta,
    now: number,
  ): Promise<Issued | null> => {
    const successor = await mintRefreshToken(session.id, session.tokenKey)
    const generation = session.generation + 1
    const rotated = await guardStore(async () =>
      store.rotate(
        session.id,
        presentedHash,
        {
          tokenHash: await hashRefreshToken(successor),
          previousTokenHash: presentedHash,
          rotatedAt: now,
          sealedSuccessor: await sealSuccessor(token, successor),
          generation,
          lastUsedAt: now,
          idleExpiresAt: now + config.idleTimeoutMs,
          ip: meta.ip ?? session.ip,
          userAgent: meta.userAgent ?? session.userAgent,
        },
        now,
      ),
    )
    if (!rotated) return null
    const issued = await issue(session, successor, now)
    emit({ type: 'refresh', duplicate: false, generation, ...sessionEvent(session, now, meta) })
    return issued
  }

  /** Ends the family of a reused token and answers so. */
  const reuse = async (session: StoredSession, meta: RequestMeta, now: number) => {
    await revoke(session, 'reuse_detected', meta, now)
    return unauthorized(
      'refresh_token_reused',
      'This refresh token was already used; the session has been ended.',
    )
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
      await guardStore(() => store.create(session, now))
      const issued = await issue(session, refreshToken, now)
      emit({ type: 'login', ...sessionEvent(session, now, meta) })
      return issued
    },

    async refresh(cookie: string | undefined, meta: RequestMeta): Promise<Issued> {
      if (cookie === undefined || cookie === '') {
        throw unauthorized('no_session', 'No refresh cookie was sent; sign in.')
      }
      const token = parseRefreshToken(cookie)
      if (!token) throw invalidCookie()
      const presentedHash = await hashRefreshToken(token.raw)

      for (let attempt = 0; attempt < MAX_ROTATION_ATTEMPTS; attempt++) {
        const now = config.now()
        const session = await guardStore(() => store.get(token.sessionId))
        // Swept after a deadline, or never existed: either way there is no session to continue.
        if (!session) throw expired()
        // A hash match proves the token is ours; only a stranger needs the (costlier) MAC check.
        const known =
          presentedHash === session.tokenHash || presentedHash === session.previousTokenHash
        if (!known && !(await isAuthentic(token, session.tokenKey))) throw invalidCookie()

        const kind = classifyPresentedToken(session, presentedHash, now, config)
        switch (kind) {
          case 'revoked':
            throw endFor(session)
          case 'expired_absolute':
          case 'expired_idle': {
            if (await guardStore(() => store.revoke(session.id, 'expired', now))) {
              const reason = kind === 'expired_absolute' ? 'absolute' : 'idle'
              emit({ type: 'expired', reason, ...sessionEvent(session, now, meta) })
            }
            throw expired()
          }
          case 'current': {
            const issued = await rotate(session, token, presentedHash, meta, now)
            if (issued) return issued
            continue
          }
          case 'grace_duplicate': {
            // The successor already minted, so the family never splits; one that does not unmask
            // to the current hash was not sealed for this token, which makes it a reuse.
            const successor = await openSuccessor(
              token,
              session.sealedSuccessor!,
              session.tokenHash,
            )
            if (!successor) throw await reuse(session, meta, now)
            const issued = await issue(session, successor, now)
            const about = sessionEvent(session, now, meta)
            emit({ type: 'refresh', duplicate: true, generation: session.generation, ...about })
            return issued
          }
          case 'reused':
            throw await reuse(session, meta, now)
        }
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
      if (!everywhere) {
        if (await guardStore(() => store.revoke(session.id, 'logout', now))) {
          emit({ type: 'logout', everywhere: false, ...sessionEvent(session, now, meta) })
        }
        return
      }
      const revoked = await guardStore(() =>
        store.revokeByUser(session.userId, 'logout_everywhere', now),
      )
      emit({ type: 'logout', everywhere: true, ...sessionEvent(session, now, meta) })
      for (const other of revoked) {
        if (other.id === session.id) continue
        emit({ type: 'revoked', reason: 'logout_everywhere', ...sessionEvent(other, now, meta) })
      }
    },

    /** The live session behind an access token, or `null` if it ended. */
    async liveSession(sessionId: string): Promise<StoredSession | null> {
      const session = await guardStore(() => store.get(sessionId))
      return session && isLive(session, config.now()) ? session : null
    },

    async list(userId: string, currentSessionId: string): Promise<SessionSummary[]> {
      const sessions = await guardStore(() => store.listByUser(userId, config.now()))
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
      const session = await guardStore(() => store.get(sessionId))
      if (!session || session.userId !== userId || !isLive(session, now)) return false
      return (await revoke(session, 'revoked', meta, now)) !== null
    },
  }
}

/** @internal */
export type SessionService = ReturnType<typeof createSessionService>
