/**
 * @module
 * `bff.admin`: ending sessions from application code, outside any request.
 */
import { NO_REQUEST } from './events.js'
import type { BffConfig } from './options.js'
import type { Revoker } from './session-revocation.js'
import type { RevocationReason } from './stores/types.js'

/** Why the application ends sessions: the user is no longer accepted, or any other reason. */
export type AdminRevocationReason = Extract<RevocationReason, 'user_invalid' | 'revoked'>

/**
 * Session administration for application code, on the app `createBff()` returns. Each revocation
 * emits a `revoked` event (with `ip` and `userAgent` null: no request caused it) and reaches every
 * `requireAuth({ checkRevoked })` listening to the same store, like a logout. A store that cannot
 * be reached rejects with the `BffError` 503 `store_unavailable`; nothing was revoked then, so
 * retry.
 */
export interface SessionAdmin {
  /**
   * Ends every live session of `userId`: when an account is disabled, deleted, or its password or
   * second factor changed (OWASP ASVS 7.4.3). The next refresh of each answers
   * `401 session_revoked`. Pair it with `validateSession`, which refuses the user's sessions
   * should one be created or missed while this runs.
   *
   * @param reason the `reason` of the `revoked` events
   * @default reason 'user_invalid'
   * @returns the ids of the sessions it ended
   */
  revokeUser(userId: string, reason?: AdminRevocationReason): Promise<string[]>
  /**
   * Ends one session, for example the one a `logout_failed` event names once the store is back.
   *
   * @param reason the `reason` of the `revoked` event
   * @default reason 'revoked'
   * @returns whether this call ended it (`false`: unknown, or already revoked)
   */
  revokeSession(sessionId: string, reason?: AdminRevocationReason): Promise<boolean>
}

const REASONS: readonly string[] = ['user_invalid', 'revoked'] satisfies AdminRevocationReason[]

function checkArguments(method: string, id: unknown, reason: unknown, idName: string) {
  if (typeof id !== 'string' || id === '') {
    throw new TypeError(`admin.${method}: ${idName} must be a non-empty string`)
  }
  if (typeof reason !== 'string' || !REASONS.includes(reason)) {
    throw new TypeError(
      `admin.${method}: reason must be "user_invalid" or "revoked", got "${String(reason)}"`,
    )
  }
}

/** @internal */
export function createSessionAdmin(config: Pick<BffConfig, 'now'>, revoker: Revoker): SessionAdmin {
  return {
    async revokeUser(userId, reason = 'user_invalid') {
      checkArguments('revokeUser', userId, reason, 'userId')
      const revoked = await revoker.revokeUser(userId, reason, NO_REQUEST, config.now())
      return revoked.map((session) => session.id)
    },

    async revokeSession(sessionId, reason = 'revoked') {
      checkArguments('revokeSession', sessionId, reason, 'sessionId')
      return (await revoker.revoke(sessionId, reason, NO_REQUEST, config.now())) !== null
    },
  }
}
