/**
 * @module
 * `maxSessionsPerUser` at login (OWASP ASVS 7.1.2): refuse before the session is created, or end
 * the oldest ones once it exists. Evicting after the creation, and counting without the new
 * session, means concurrent logins converge on the limit instead of evicting each other.
 * @internal
 */
import { BffError } from './errors.js'
import type { BffConfig } from './options.js'
import type { RequestMeta } from './request-meta.js'
import type { Devices } from './session-devices.js'
import type { Revoker } from './session-revocation.js'
import type { StoredSession } from './stores/types.js'

/** @internal */
export function createSessionLimit(
  config: Pick<BffConfig, 'sessionPolicy' | 'emit' | 'now' | 'logger'>,
  revoker: Revoker,
  devices: Pick<Devices, 'liveSessionsOf'>,
) {
  const { maxSessionsPerUser: limit, onSessionLimit: action } = config.sessionPolicy

  return {
    /** With `'refuse'`: throws `409 session_limit` when the user has no slot left. */
    async admit(userId: string, meta: RequestMeta): Promise<void> {
      if (limit === null || action !== 'refuse') return
      const now = config.now()
      const live = await devices.liveSessionsOf(userId, now)
      if (live.length < limit) return
      config.emit({
        type: 'session_limit',
        userId,
        sessionId: null,
        action,
        limit,
        evicted: [],
        at: now,
        ...meta,
      })
      throw new BffError(
        409,
        'session_limit',
        `This account already has ${limit} active sessions; sign out of one of them first.`,
      )
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
        const live = await devices.liveSessionsOf(session.userId, now)
        const others = live.filter((other) => other.id !== session.id)
        const excess = others.length + 1 - limit
        if (excess <= 0) return
        const oldest = others.slice(0, excess)
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
