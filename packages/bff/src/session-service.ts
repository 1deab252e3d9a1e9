/**
 * @module
 * The session protocol: login, refresh with rotation, grace window and reuse detection, and the
 * session list. It lives here once; stores only provide an atomic compare-and-set. What a
 * presented refresh token is, is decided by `classifyPresentedToken` (`refresh-decision.ts`);
 * this module acts on it. Logout is in `session-logout.ts`, revocations in
 * `session-revocation.ts`.
 */
import type { SessionSummary, SessionUser } from '@baton/protocol'
import type { Context } from 'hono'
import { storeUnavailable } from './errors.js'
import { sessionEvent } from './events.js'
import type { BffConfig, SessionInfo } from './options.js'
import { findFamily, presentToken, type PresentedToken } from './presented-token.js'
import { classifyPresentedToken } from './refresh-decision.js'
import type { RequestMeta } from './request-meta.js'
import {
  endFor,
  expired,
  invalidCookie,
  noCookie,
  sessionCheckFailed,
  userInvalid,
} from './session-errors.js'
import { createLogout } from './session-logout.js'
import type { Revoker } from './session-revocation.js'
import { guardStore } from './stores/guard.js'
import { isLive, type StoredSession } from './stores/types.js'
import { issueGrant, type Issued } from './tokens/grant.js'
import {
  hashRefreshToken,
  mintRefreshToken,
  newSessionId,
  newTokenKey,
  openSuccessor,
  sealSuccessor,
} from './tokens/refresh.js'

// A lost compare-and-set means another request rotated first; the next read sees our token as
// the previous one and takes the grace path. More than a few losses in a row is pathological.
const MAX_ROTATION_ATTEMPTS = 8

/** @internal What a refresh request brings. */
export interface RefreshRequest {
  /** The refresh cookie's one value, if any. */
  cookie: string | undefined
  /** Sent with `ACTIVITY_HEADER: 1`: the user is there, so the idle deadline moves. */
  activity: boolean
  meta: RequestMeta
  /** For `validateSession`. */
  context: Context
}

/** The session as `validateSession` sees it: no token material. */
const sessionInfo = (session: StoredSession): SessionInfo => ({
  id: session.id,
  userId: session.userId,
  user: session.user,
  createdAt: session.createdAt,
  lastUsedAt: session.lastUsedAt,
  expiresAt: session.expiresAt,
  idleExpiresAt: session.idleExpiresAt,
  userAgent: session.userAgent,
  ip: session.ip,
})

/** @internal */
export function createSessionService(config: BffConfig, revoker: Revoker) {
  const { store, emit } = config

  const issue = (session: StoredSession, refreshToken: string, now: number) =>
    issueGrant(config, session, refreshToken, now)

  /** Rotates the current token; `null` when another request rotated first. */
  const rotate = async (
    session: StoredSession,
    presented: PresentedToken,
    request: RefreshRequest,
    now: number,
  ): Promise<Issued | null> => {
    const successor = await mintRefreshToken(session.id, session.tokenKey)
    const generation = session.generation + 1
    // Keep-alive is not activity (ASVS 7.3.1): a tab refreshing in the background must not hold
    // an abandoned session open, so only a refresh the user's activity asked for moves this.
    const idleExpiresAt = request.activity ? now + config.idleTimeoutMs : session.idleExpiresAt
    const { meta } = request
    const rotated = await guardStore(async () =>
      store.rotate(
        session.id,
        presented.hash,
        {
          tokenHash: await hashRefreshToken(successor),
          previousTokenHash: presented.hash,
          rotatedAt: now,
          sealedSuccessor: await sealSuccessor(presented.token, successor),
          generation,
          lastUsedAt: now,
          idleExpiresAt,
          ip: meta.ip ?? session.ip,
          userAgent: meta.userAgent ?? session.userAgent,
        },
        now,
      ),
    )
    if (!rotated) return null
    const issued = await issue({ ...session, idleExpiresAt }, successor, now)
    emit({ type: 'refresh', duplicate: false, generation, ...sessionEvent(session, now, meta) })
    return issued
  }

  /**
   * Asks `validateSession` whether the session may go on; a refusal revokes it and throws
   * `401 session_revoked`, a failure throws 503 and ends nothing.
   */
  const checkWithApplication = async (session: StoredSession, request: RefreshRequest) => {
    const validate = config.validateSession
    if (!validate) return
    let verdict: unknown
    try {
      verdict = await validate(sessionInfo(session), request.context)
    } catch (cause) {
      throw sessionCheckFailed(cause)
    }
    if (verdict === true) return
    if (verdict !== false) {
      // Neither pass nor refusal: most likely a missing `return`. Passing would let a disabled
      // user through, refusing would sign everybody out; the log says what to fix.
      throw sessionCheckFailed(
        new TypeError(`validateSession must resolve to true or false, got ${String(verdict)}`),
      )
    }
    await revoker.revoke(session.id, 'user_invalid', request.meta, config.now())
    throw userInvalid()
  }

  /**
   * Ends the session a login's cookie names before the new one starts (ASVS 7.2.4), whoever signs
   * in: a browser holds one session. A rotated-out token is reuse, as on every cookie route.
   */
  const endPresented = async (cookie: string | undefined, meta: RequestMeta) => {
    const presented = await presentToken(cookie)
    if (!presented) return
    const session = await findFamily(store, presented)
    if (!session) return
    const now = config.now()
    switch (classifyPresentedToken(session, presented.hash, now, config)) {
      case 'current':
      case 'grace_duplicate':
        await revoker.revoke(session.id, 'replaced', meta, now)
        return
      case 'reused':
        // The credentials just checked out, so the sign-in goes on; only the family ends.
        await revoker.reuse(session, meta, now)
        return
      default:
        return
    }
  }

  return {
    ...createLogout(config, revoker),

    /** Starts a session for `user`, after ending the one `cookie` names. */
    async login(user: SessionUser, cookie: string | undefined, meta: RequestMeta): Promise<Issued> {
      await endPresented(cookie, meta)
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

    async refresh(request: RefreshRequest): Promise<Issued> {
      const { cookie, meta } = request
      if (cookie === undefined || cookie === '') throw noCookie()
      const presented = await presentToken(cookie)
      if (!presented) throw invalidCookie()
      let checked = false

      for (let attempt = 0; attempt < MAX_ROTATION_ATTEMPTS; attempt++) {
        const session = await findFamily(store, presented)
        // Never created, swept after its deadlines, or not minted by us: one answer for all, so
        // the code is no oracle for which session ids exist.
        if (!session) throw invalidCookie()
        const now = config.now()
        const kind = classifyPresentedToken(session, presented.hash, now, config)
        if ((kind === 'current' || kind === 'grace_duplicate') && !checked) {
          await checkWithApplication(session, request)
          checked = true
        }
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
            const issued = await rotate(session, presented, request, now)
            if (issued) return issued
            continue
          }
          case 'grace_duplicate': {
            // The successor already minted, so the family never splits; one that does not unmask
            // to the current hash was not sealed for this token, which makes it a reuse.
            const successor = await openSuccessor(
              presented.token,
              session.sealedSuccessor!,
              session.tokenHash,
            )
            if (!successor) throw await revoker.reuse(session, meta, now)
            const issued = await issue(session, successor, now)
            const about = sessionEvent(session, now, meta)
            emit({ type: 'refresh', duplicate: true, generation: session.generation, ...about })
            return issued
          }
          case 'reused':
            throw await revoker.reuse(session, meta, now)
        }
      }
      throw storeUnavailable(new Error('refresh: too many concurrent rotations'))
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
      return (await revoker.revoke(session.id, 'revoked', meta, now)) !== null
    },
  }
}

/** @internal */
export type SessionService = ReturnType<typeof createSessionService>
