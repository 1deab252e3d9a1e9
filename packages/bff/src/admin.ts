/**
 * @module
 * `bff.admin`: ending sessions from application code, outside any request.
 */
import { NO_REQUEST } from './events.js'
import type { BffConfig } from './options.js'
import { epochAfter } from './revocation-epoch.js'
import type { Devices } from './session-devices.js'
import { sessionInfo } from './session-info.js'
import type { Revoker } from './session-revocation.js'
import { guardStore } from './stores/guard.js'
import type { RevocationReason, StoredSession } from './stores/types.js'

/**
 * A live session as {@link SessionAdmin.listUserSessions} shows it: who, since when, from where,
 * and the last proof of credentials. No token material.
 */
export type AdminSessionInfo = Readonly<
  Pick<
    StoredSession,
    | 'id'
    | 'userId'
    | 'user'
    | 'createdAt'
    | 'lastUsedAt'
    | 'expiresAt'
    | 'idleExpiresAt'
    | 'userAgent'
    | 'ip'
    | 'authTime'
    | 'amr'
    | 'acr'
    | 'generation'
  >
>

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
  /**
   * The live sessions of `userId`, oldest first: what their devices list shows, for an
   * administrator's console.
   */
  listUserSessions(userId: string): Promise<AdminSessionInfo[]>
  /**
   * Ends every session of every user at once (a signing key or the session store leaked, a
   * breach): writes one revocation epoch, the next whole second, instead of scanning sessions.
   * From then on every refresh of a session created before it answers `401 session_revoked`, and
   * every `requireAuth({ checkRevoked })` sharing the store (`bff.requireAuth()` on every instance)
   * refuses access tokens issued before it. Emits one `revoked_all` event.
   *
   * @returns the epoch now in force (epoch ms)
   */
  revokeAll(): Promise<number>
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
export function createSessionAdmin(
  config: Pick<BffConfig, 'now' | 'store' | 'emit'>,
  revoker: Revoker,
  devices: Pick<Devices, 'liveSessionsOf'>,
): SessionAdmin {
  return {
    async listUserSessions(userId) {
      if (typeof userId !== 'string' || userId === '') {
        throw new TypeError('admin.listUserSessions: userId must be a non-empty string')
      }
      const sessions = await devices.liveSessionsOf(userId, config.now())
      // What `validateSession` sees, and how the user signed in: never the token material.
      return sessions.map((s) => ({
        ...sessionInfo(s),
        authTime: s.authTime,
        amr: s.amr,
        acr: s.acr,
        generation: s.generation,
      }))
    },

    async revokeAll() {
      const now = config.now()
      const epoch = await guardStore(() => config.store.raiseRevocationEpoch(epochAfter(now)))
      config.emit({ type: 'revoked_all', epoch, at: now, ...NO_REQUEST })
      return epoch
    },

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
