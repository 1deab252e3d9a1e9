/**
 * @module
 * The PostgreSQL store's row: its columns as `pg` returns them (DOUBLE PRECISION as numbers, JSON parsed),
 * and the session a row holds, checked on the way out.
 * @internal
 */
import { sessionFromRow, type SqlSessionColumns } from './sql-row.js'
import type { StoredSession } from './types.js'

/** @internal One row of the sessions table, as `pg` hands it over. */
export interface PostgresRow extends SqlSessionColumns {
  user_json: unknown
  auth_time: number
  amr: string[]
}

/** @internal The columns a session is written to, in `INSERT` order (`$1` … `$21`). */
export const SESSION_COLUMNS = [
  'id',
  'user_id',
  'user_json',
  'created_at',
  'last_used_at',
  'expires_at',
  'idle_expires_at',
  'user_agent',
  'ip',
  'token_key',
  'token_hash',
  'previous_token_hash',
  'rotated_at',
  'sealed_successor',
  'generation',
  'revoked_at',
  'revoked_reason',
  'auth_time',
  'amr',
  'acr',
  'jkt',
] as const

/** @internal The values of {@link SESSION_COLUMNS} for `session`. */
export const sessionValues = (session: StoredSession): unknown[] => [
  session.id,
  session.userId,
  JSON.stringify(session.user),
  session.createdAt,
  session.lastUsedAt,
  session.expiresAt,
  session.idleExpiresAt,
  session.userAgent,
  session.ip,
  session.tokenKey,
  session.tokenHash,
  session.previousTokenHash,
  session.rotatedAt,
  session.sealedSuccessor,
  session.generation,
  session.revokedAt,
  session.revokedReason,
  session.authTime,
  session.amr,
  session.acr,
  session.jkt,
]

/** @internal The session `row` holds; a row that cannot be one throws. */
export const toSession = (row: PostgresRow): StoredSession =>
  sessionFromRow('postgres store', row, {
    user: row.user_json,
    amr: row.amr,
    authTime: row.auth_time,
  })
