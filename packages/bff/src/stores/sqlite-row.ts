/**
 * @module
 * The SQLite store's row: its columns, and the session a row holds, checked on the way out.
 * @internal
 */
import { isRevocationReason, type StoredSession } from './types.js'

/** @internal One row of the sessions table. */
export interface Row {
  id: string
  user_id: string
  user_json: string
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
  /** NULL in rows written before step-up existed. */
  auth_time: number | null
  amr_json: string | null
  acr: string | null
  /** NULL for an unbound session, and in rows written before binding existed. */
  jkt: string | null
}

/** @internal The session `row` holds; a row that cannot be one throws. */
export function toSession(row: Row): StoredSession {
  const user: unknown = JSON.parse(row.user_json)
  if (
    typeof user !== 'object' ||
    user === null ||
    typeof (user as { id?: unknown }).id !== 'string'
  )
    throw new Error(`sqlite store: session ${row.id} has a malformed user`)
  if (row.revoked_reason !== null && !isRevocationReason(row.revoked_reason)) {
    throw new Error(`sqlite store: session ${row.id} has an unknown revocation reason`)
  }
  const amr: unknown = row.amr_json === null ? ['pwd'] : JSON.parse(row.amr_json)
  if (!Array.isArray(amr) || !amr.every((method) => typeof method === 'string')) {
    throw new Error(`sqlite store: session ${row.id} has a malformed amr`)
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
    // A row from before step-up: its only proof of credentials was the login that created it.
    authTime: row.auth_time ?? row.created_at,
    amr,
    acr: row.acr,
    jkt: row.jkt ?? null,
  }
}
