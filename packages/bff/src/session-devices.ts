/**
 * @module
 * The user's devices: the live sessions of a user (for the devices list, `bff.admin` and the
 * session limit) and ending them from the list. "Live" here is what a refresh would still serve:
 * before the whole second of the absolute deadline, and created after the revocation epoch
 * (`bff.admin.revokeAll()`), which no store knows about.
 * @internal
 */
import type { SessionSummary } from '@baton/protocol'
import type { BffConfig } from './options.js'
import type { RequestMeta } from './request-meta.js'
import { isRefreshable } from './refresh-decision.js'
import { createdBeforeEpoch, readRevocationEpoch } from './revocation-epoch.js'
import type { Revoker } from './session-revocation.js'
import { guardStore } from './stores/guard.js'
import type { StoredSession } from './stores/types.js'

/** @internal */
export function createDevices(config: Pick<BffConfig, 'store' | 'now'>, revoker: Revoker) {
  const { store } = config
  const epoch = () => readRevocationEpoch(store)
  const alive = (session: StoredSession, now: number, since: number) =>
    isRefreshable(session, now) && !createdBeforeEpoch(session, since)

  /** The user's live sessions at `now`, oldest first. */
  const liveSessionsOf = async (userId: string, now: number): Promise<StoredSession[]> => {
    const [sessions, since] = await Promise.all([
      guardStore(() => store.listByUser(userId, now)),
      epoch(),
    ])
    return sessions.filter((session) => alive(session, now, since))
  }

  return {
    liveSessionsOf,

    /** The live session behind an access token, or `null` if it ended. */
    async liveSession(sessionId: string): Promise<StoredSession | null> {
      const [session, since] = await Promise.all([guardStore(() => store.get(sessionId)), epoch()])
      return session && alive(session, config.now(), since) ? session : null
    },

    /** The devices list of `userId`, marking the session that asks. */
    async list(userId: string, currentSessionId: string): Promise<SessionSummary[]> {
      const sessions = await liveSessionsOf(userId, config.now())
      return sessions.map((s) => ({
        id: s.id,
        createdAt: s.createdAt,
        lastUsedAt: s.lastUsedAt,
        expiresAt: s.expiresAt,
        userAgent: s.userAgent,
        ip: s.ip,
        current: s.id === currentSessionId,
        authTime: s.authTime,
        bound: s.jkt !== null,
      }))
    },

    /** Revokes one of the user's sessions; `false` when it is not theirs or not live. */
    async revokeOwn(userId: string, sessionId: string, meta: RequestMeta): Promise<boolean> {
      const now = config.now()
      const [session, since] = await Promise.all([guardStore(() => store.get(sessionId)), epoch()])
      if (!session || session.userId !== userId || !alive(session, now, since)) return false
      return (await revoker.revoke(session.id, 'revoked', meta, now)) !== null
    },

    /**
     * Ends every live session of `userId` but `currentSessionId` ("sign out all other sessions"),
     * each with a `revoked` event; returns the ids it ended.
     */
    async revokeOthers(userId: string, currentSessionId: string, meta: RequestMeta) {
      const now = config.now()
      const others = (await liveSessionsOf(userId, now)).filter((s) => s.id !== currentSessionId)
      const ended: string[] = []
      // One by one rather than `revokeByUser`, which would end the session that asks too.
      for (const session of others) {
        if (await revoker.revoke(session.id, 'revoked', meta, now)) ended.push(session.id)
      }
      return ended
    },
  }
}

/** @internal */
export type Devices = ReturnType<typeof createDevices>
