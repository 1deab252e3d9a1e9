/**
 * @module
 * The PostgreSQL store's row: its columns as `pg` returns them (DOUBLE PRECISION as numbers, JSON parsed),
 * and the session a row holds, checked on the way out.
 * @internal
 */
import { isRevocationReason, type StoredSession } from './types.js'

/** @internal One row of the sessions table, as `pg` hands it over. */
export interface PostgresRow {
  id: string
  user_id: string
  user_json: unknown
  created_at: number
  last_used_at: number
  expires_at: number
  idle_expires_at: number
  user_agent: string | null
  ip: string | null
  token_key: string
  token_hash: string
  previous_token_hash: string | null
  rotated_at: number | null
  sealed_successor: string | null
  generation: number
  revoked_at: number | null
  revoked_reason: string | null
  auth_time: number
  amr: string[]
  acr: string | null
  /** NULL for an unbound session (and every row from before migration 2). */
  jkt: string | null
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
export function toSession(row: PostgresRow): StoredSession {
  const user = row.user_json
  if (
    typeof user !== 'object' ||
    user === null ||
    typeof (user as { id?: unknown }).id !== 'string'
  ) {
    throw new Error(`postgres store: session ${row.id} has a malformed user`)
  }
  if (row.revoked_reason !== null && !isRevocationReason(row.revoked_reason)) {
    throw new Error(`postgres store: session ${row.id} has an unknown revocation reason`)
  }
  return {
    id: row.id,
    userId: row.user_id,
    user: user as StoredSession['user'],
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    idleExpiresAt: row.idle_expires_at,
    userAgent: row.user_agent,
    ip: row.ip,
    tokenKey: row.token_key,
    tokenHash: row.token_hash,
    previousTokenHash: row.previous_token_hash,
    rotatedAt: row.rotated_at,
    sealedSuccessor: row.sealed_successor,
    generation: row.generation,
    revokedAt: row.revoked_at,
    revokedReason: row.revoked_reason,
    authTime: row.auth_time,
    amr: row.amr,
    acr: row.acr,
    jkt: row.jkt,
  }
}
