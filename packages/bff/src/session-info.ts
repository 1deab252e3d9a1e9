/**
 * @module
 * The view of a stored session that application hooks receive (`validateSession`, the anomaly
 * `detect` hook): who and where, never the token material.
 * @internal
 */
import type { SessionInfo } from './options.js'
import type { StoredSession } from './stores/types.js'

/** @internal `session` without its token hashes, keys and seals. */
export const sessionInfo = (session: StoredSession): SessionInfo => ({
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
