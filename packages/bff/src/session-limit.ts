/**
 * @module
 * `maxSessionsPerUser` at login (OWASP ASVS 7.1.2): refuse, or end the oldest sessions. Logins of
 * one user that race each pass a check made before the others' sessions exist, so each is judged
 * again once its own session exists, by one rule all of them agree on: the order every store
 * lists in (oldest first, ties by id). With `'refuse'` the oldest `limit` keep their slots and a
 * newer one ends itself before it is issued; with `'evict_oldest'` the newest `limit` stay. Only a
 * login whose list misses an older one still being written can leave the user one over the
 * limit, until the next login.
 * @internal
 */
import { BffError } from './errors.js'
import type { BffConfig } from './options.js'
import type { RequestMeta } from './request-meta.js'
import type { Devices } from './session-devices.js'
import type { Revoker } from './session-revocation.js'
import { guardStore } from './stores/guard.js'
import { byCreation, type StoredSession } from './stores/types.js'

/** @internal */
export function createSessionLimit(
  config: Pick<BffConfig, 'sessionPolicy' | 'emit' | 'now' | 'logger' | 'store'>,
  revoker: Revoker,
  devices: Pick<Devices, 'liveSessionsOf'>,
) {
  const { maxSessionsPerUser: limit, onSessionLimit: action } = config.sessionPolicy

  /** The user's live sessions, oldest first, `session` among them where the list missed it. */
  const withOwn = async (session: StoredSession, now: number) => {
    const live = await devices.liveSessionsOf(session.userId, now)
    return live.some((other) => other.id === session.id)
      ? live
      : [...live, session].sort(byCreation)
  }

  const refused = (userId: string, meta: RequestMeta, now: number, limit: number) => {
    config.emit({
      type: 'session_limit',
      userId,
      sessionId: null,
      action: 'refuse',
      limit,
      evicted: [],
      at: now,
      ...meta,
    })
    return new BffError(
      409,
      'session_limit',
      `This account already has ${limit} active sessions; sign out of one of them first.`,
    )
  }

  return {
    /**
     * With `'refuse'`: throws `409 session_limit` when the user has no slot left among
     * `existing`, the live sessions before this login.
     */
    async admit(
      userId: string,
      meta: RequestMeta,
      now: number,
      existing: () => Promise<StoredSession[]>,
    ): Promise<void> {
      if (limit === null || action !== 'refuse') return
      if ((await existing()).length >= limit) throw refused(userId, meta, now, limit)
    },

    /**
     * With `'refuse'`, once `session` exists and before it is issued: a login that raced others
     * past `admit` and is not among the oldest `limit` ends its own session, and throws `409
     * session_limit`. Where the check fails, the session ends too: nobody holds it, and it would
     * take a slot until its idle deadline.
     */
    async confirm(session: StoredSession, meta: RequestMeta): Promise<void> {
      if (limit === null || action !== 'refuse') return
      const now = config.now()
      const endOwn = () => guardStore(() => config.store.revoke(session.id, 'session_limit', now))
      const ownSlot = await withOwn(session, now)
        .then((all) => all.findIndex((other) => other.id === session.id) < limit)
        .catch(async (error: unknown) => {
          await endOwn().catch(() => undefined)
          throw error
        })
      if (ownSlot) return
      await endOwn()
      throw refused(session.userId, meta, now, limit)
    },

    /**
     * With `'evict_oldest'`: ends the oldest sessions beyond the limit, never `session`. A failure
     * is logged and leaves the user over the limit until the next login: the sign-in itself
     * succeeded, and failing it now would leave a session nobody holds.
     */
    async evict(session: StoredSession, meta: RequestMeta): Promise<void> {
      if (limit === null || action !== 'evict_oldest') return
      try {
        const now = config.now()
        const all = await withOwn(session, now)
        // Not `session`, even where newer ones raced it: the login that made them ends it.
        const oldest = all
          .slice(0, Math.max(0, all.length - limit))
          .filter((other) => other.id !== session.id)
        if (oldest.length === 0) return
        // The cause before its consequences, as with reuse: then one `revoked` per evicted session.
        config.emit({
          type: 'session_limit',
          userId: session.userId,
          sessionId: session.id,
          action,
          limit,
          evicted: oldest.map((other) => other.id),
          at: now,
          ...meta,
        })
        for (const other of oldest) await revoker.revoke(other.id, 'session_limit', meta, now)
      } catch (error) {
        config.logger.error(
          '[baton] maxSessionsPerUser: evicting the oldest sessions failed',
          error,
        )
      }
    },
  }
}
