/**
 * @module
 * What the two SQL stores share: a session row's columns (the same names in SQLite and PostgreSQL;
 * only the user and `amr` columns are stored differently) and the checked `StoredSession` a row
 * holds.
 * @internal
 */
import { isRevocationReason, type StoredSession } from './types.js'

/** @internal The columns both SQL stores keep as they are. */
export interface SqlSessionColumns {
  id: string
  user_id: string
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
  acr: string | null
  /** NULL for an unbound session, and in rows written before binding existed. */
  jkt: string | null
}

/**
 * @internal The session a row holds, given its user and `amr` as the store decoded them and its
 * `authTime`; a row that cannot be one throws, naming `store` and the session.
 */
export function sessionFromRow(
  store: string,
  row: SqlSessionColumns,
  decoded: { user: unknown; amr: unknown; authTime: number },
): StoredSession {
  const { user, amr } = decoded
  if (
    typeof user !== 'object' ||
    user === null ||
    typeof (user as { id?: unknown }).id !== 'string'
  ) {
    throw new Error(`${store}: session ${row.id} has a malformed user`)
  }
  if (row.revoked_reason !== null && !isRevocationReason(row.revoked_reason)) {
    throw new Error(`${store}: session ${row.id} has an unknown revocation reason`)
  }
  if (!Array.isArray(amr) || !amr.every((method) => typeof method === 'string')) {
    throw new Error(`${store}: session ${row.id} has a malformed amr`)
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
    authTime: decoded.authTime,
    amr,
    acr: row.acr,
    jkt: row.jkt,
  }
}
