/**
 * @module
 * Logout in the session protocol: what a presented cookie ends, and the `logout_failed` report
 * when a logout ends less than it should have. The route clears the cookies whatever happens here.
 * @internal
 */
import { createBinding, isBindingMismatch, type LazyProof } from './dpop/session-binding.js'
import { isBffError } from './errors.js'
import { sessionEvent } from './events.js'
import type { BffConfig } from './options.js'
import { findFamily, presentToken } from './presented-token.js'
import { classifyPresentedToken } from './refresh-decision.js'
import { createdBeforeEpoch, readRevocationEpoch } from './revocation-epoch.js'
import type { RequestMeta } from './request-meta.js'
import type { Revoker } from './session-revocation.js'
import { guardStore } from './stores/guard.js'
import { isLive, type StoredSession } from './stores/types.js'

/** @internal */
export function createLogout(config: BffConfig, revoker: Revoker) {
  const { store, emit } = config
  const binding = createBinding(config, revoker)

  const reportFailure = (
    sessionId: string,
    userId: string | null,
    everywhere: boolean | null,
    error: unknown,
    meta: RequestMeta,
  ) =>
    emit({
      type: 'logout_failed',
      sessionId,
      userId,
      everywhere,
      reason: isBffError(error) ? error.code : 'internal',
      at: config.now(),
      ...meta,
    })

  const end = async (
    session: StoredSession,
    everywhere: boolean,
    meta: RequestMeta,
    now: number,
  ) => {
    if (!everywhere) {
      if (await guardStore(() => store.revoke(session.id, 'logout', now))) {
        emit({ type: 'logout', everywhere: false, ...sessionEvent(session, now, meta) })
      }
      return
    }
    await revoker.revokeUser(session.userId, 'logout_everywhere', meta, now, {
      sessionId: session.id,
      event: { type: 'logout', everywhere: true, ...sessionEvent(session, now, meta) },
    })
  }

  return {
    /**
     * Ends the session `cookie` belongs to, or with `everywhere` every session of its user. A
     * cookie the BFF did not mint, or of a session that is over already, ends nothing. A
     * rotated-out token is reuse here as on refresh (RFC 9700 §4.14.2): its family ends,
     * `everywhere` is not honoured (a stolen copy must not sign the user out of every device), and
     * the answer is `401 refresh_token_reused`. Any other failure emits `logout_failed` naming the
     * session, and is thrown on. Resolves with the session its holder ended, `null` when it ended
     * none.
     */
    async logout(
      cookie: string | undefined,
      everywhere: boolean,
      meta: RequestMeta,
      /** The request's DPoP proof: a bound session is only ended by its own key's holder. */
      proof?: LazyProof,
    ): Promise<StoredSession | null> {
      const presented = presentToken(cookie)
      if (!presented) return null
      let session: StoredSession | null = null
      try {
        const [found, since] = await Promise.all([
          findFamily(store, presented),
          readRevocationEpoch(store),
        ])
        session = found
        if (!session) return null
        const now = config.now()
        // Ended by `revokeAll()` (a breach, when old cookies may be in other hands): over like a
        // revoked one, so its cookie ends nothing, the user's sessions since then least of all.
        if (createdBeforeEpoch(session, since)) return null
        switch (classifyPresentedToken(session, presented.hash, now, config)) {
          // Over already: its cookie must not end anything else, the user's other sessions included.
          case 'revoked':
          case 'expired_absolute':
          case 'expired_idle':
            return null
          case 'reused':
            throw await revoker.reuse(session, meta, now)
          case 'current':
          case 'grace_duplicate':
            await binding.check(session, proof, 'logout', meta)
            await end(session, everywhere, meta, now)
            return session
        }
      } catch (error) {
        // A reuse did end the session, which is what a logout is for; it is reported as theft.
        // So did a cookie used with another key (binding_mismatch), reported as such.
        const ended =
          (isBffError(error) && error.code === 'refresh_token_reused') || isBindingMismatch(error)
        if (!ended) {
          reportFailure(presented.token.sessionId, session?.userId ?? null, everywhere, error, meta)
        }
        throw error
      }
    },

    /**
     * Reports a logout refused before it could end anything (its body did not parse): the cookie
     * is cleared all the same, so the session it names must be revoked some other way. Emits
     * `logout_failed` when that session is live or the store cannot say; never throws.
     */
    async reportLogoutFailure(cookie: string | undefined, error: unknown, meta: RequestMeta) {
      const presented = presentToken(cookie)
      if (!presented) return
      let userId: string | null = null
      try {
        const session = await findFamily(store, presented)
        // Not ours, or over already: nothing is left to end.
        if (!session || !isLive(session, config.now())) return
        userId = session.userId
      } catch {
        // The store is down: the session can only be named as the cookie claims it.
      }
      reportFailure(presented.token.sessionId, userId, null, error, meta)
    },
  }
}
