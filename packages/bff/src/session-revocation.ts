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
import { isRefreshable } from './refresh-decision.js'

/**
 * @internal Told of the sessions a revocation ended, once the store applied it: the OpenID Connect
 * module retires their upstream tokens. Awaited by the revocation, so it must be quick (no
 * provider round trip) and must not throw; a rejection is logged.
 */
export type RevocationListener = (
  sessionIds: readonly string[],
  reason: RevocationReason,
) => Promise<void>

/** @internal */
export function createRevoker(config: Pick<BffConfig, 'store' | 'emit' | 'logger'>) {
  const { store, emit } = config
  const listeners: RevocationListener[] = []
  // A session `revokeAll()` ended (created before the epoch) is over already: marking it revoked
  // again ends nothing, so nothing is reported or returned for it.
  const epoch = () => readRevocationEpoch(store)

  // Also for a session the epoch had ended, which nothing reports: what it held outside the
  // store (an upstream grant) outlives the epoch otherwise.
  const notify = async (sessionIds: readonly string[], reason: RevocationReason) => {
    if (sessionIds.length === 0) return
    await Promise.all(
      listeners.map((listener) =>
        listener(sessionIds, reason).catch((error: unknown) => {
          config.logger.warn('[baton] a revocation listener failed', error)
        }),
      ),
    )
  }

  /** Revokes a session; returns it as it was, or `null` if it was already over or gone. */
  const revoke = async (
    sessionId: string,
    reason: RevocationReason,
    meta: RequestMeta,
    now: number,
  ): Promise<StoredSession | null> => {
    const [current, since] = await Promise.all([guardStore(() => store.get(sessionId)), epoch()])
    // Past its deadline, a session is over already: every store keeps it a while so that a late
    // refresh is answered `session_expired`, which a revocation now would turn into
    // `session_revoked`, reporting an end that was not this one.
    if (!current || !isRefreshable(current, now)) return null
    const revoked = await guardStore(() => store.revoke(sessionId, reason, now))
    if (!revoked) return null
    const ended = !createdBeforeEpoch(revoked, since)
    if (ended) {
      const about = sessionEvent(revoked, now, meta)
      // Theft is reported before its consequence, so an audit log reads cause first.
      if (reason === 'reuse_detected') {
        emit({ type: 'reuse_detected', generation: revoked.generation, ...about })
      }
      emit({ type: 'revoked', reason, ...about })
    }
    await notify([revoked.id], reason)
    return ended ? revoked : null
  }

  return {
    revoke,

    /**
     * Registers `listener` for every session this revoker ends from now on (by `revoke`, `reuse`
     * or `revokeUser`; not a logout's own session, which its route's hook handles, nor a deadline).
     */
    onRevoked(listener: RevocationListener): void {
      listeners.push(listener)
    },

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
      // The session that reports its own ending is its holder's logout: the route's hook retires
      // it, and needs its upstream ID token for the provider's end-session URL.
      const others = all.filter((session) => session.id !== cause?.sessionId)
      await notify(
        others.map((session) => session.id),
        reason,
      )
      return revoked
    },
  }
}

/** @internal */
export type Revoker = ReturnType<typeof createRevoker>
