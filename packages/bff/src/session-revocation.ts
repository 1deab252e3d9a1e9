/**
 * @module
 * Ending sessions and reporting it: every revocation the BFF makes (logout, theft, a replaced or
 * refused session, `bff.admin`) goes through here, so each one emits the same events and reaches
 * `requireAuth({ checkRevoked })` through the store's revocation feed.
 * @internal
 */
import { sessionEvent, type BffEvent } from './events.js'
import type { BffConfig } from './options.js'
import type { RequestMeta } from './request-meta.js'
import { createdBeforeEpoch, readRevocationEpoch } from './revocation-epoch.js'
import { guardStore } from './stores/guard.js'
import type { RevocationReason, StoredSession } from './stores/types.js'
import { reused } from './session-errors.js'

/** @internal */
export function createRevoker(config: Pick<BffConfig, 'store' | 'emit'>) {
  const { store, emit } = config
  // A session `revokeAll()` ended (created before the epoch) is over already: marking it revoked
  // again ends nothing, so nothing is reported or returned for it.
  const epoch = () => readRevocationEpoch(store)

  /** Revokes a session; returns it as it was, or `null` if it was already over or gone. */
  const revoke = async (
    sessionId: string,
    reason: RevocationReason,
    meta: RequestMeta,
    now: number,
  ): Promise<StoredSession | null> => {
    const [revoked, since] = await Promise.all([
      guardStore(() => store.revoke(sessionId, reason, now)),
      epoch(),
    ])
    if (revoked && createdBeforeEpoch(revoked, since)) return null
    if (revoked) {
      const about = sessionEvent(revoked, now, meta)
      // Theft is reported before its consequence, so an audit log reads cause first.
      if (reason === 'reuse_detected') {
        emit({ type: 'reuse_detected', generation: revoked.generation, ...about })
      }
      emit({ type: 'revoked', reason, ...about })
    }
    return revoked
  }

  return {
    revoke,

    /**
     * Ends the family of a rotated-out token (RFC 9700 §4.14.2) and returns the answer to throw:
     * the server cannot tell thief from owner, so nothing the token asked for is done.
     */
    async reuse(session: Pick<StoredSession, 'id'>, meta: RequestMeta, now: number) {
      await revoke(session.id, 'reuse_detected', meta, now)
      return reused()
    },

    /**
     * Revokes every live session of `userId` and emits `revoked` for each. Returns the sessions it
     * ended. `cause.event` is emitted first, once the store has applied the revocation, for a
     * session that reports its own ending (logout everywhere): it gets no `revoked` of its own,
     * and an audit log reads cause first.
     */
    async revokeUser(
      userId: string,
      reason: RevocationReason,
      meta: RequestMeta,
      now: number,
      cause?: { sessionId: string; event: BffEvent },
    ): Promise<StoredSession[]> {
      const [all, since] = await Promise.all([
        guardStore(() => store.revokeByUser(userId, reason, now)),
        epoch(),
      ])
      if (cause) emit(cause.event)
      const revoked = all.filter((session) => !createdBeforeEpoch(session, since))
      for (const session of revoked) {
        if (session.id === cause?.sessionId) continue
        emit({ type: 'revoked', reason, ...sessionEvent(session, now, meta) })
      }
      return revoked
    },
  }
}

/** @internal */
export type Revoker = ReturnType<typeof createRevoker>
