/**
 * @module
 * The SQLite store's session operations: sign-in, read, rotation, revocation and the Devices list,
 * as prepared statements on the sessions table. `rotate` is a conditional `UPDATE … WHERE
 * token_hash = ? AND revoked_at IS NULL` and a revocation an `IMMEDIATE` transaction, so they stay
 * compare-and-set even if a second process opens the file.
 * @internal
 */
/* eslint-disable @typescript-eslint/require-await --
 * better-sqlite3 is synchronous; `async` keeps the `SessionStore` contract that every failure is a
 * rejection, never a throw out of the call itself. */
import type Database from 'better-sqlite3'
import { storeUnavailable } from '../errors.js'
import type { RevocationListeners } from './listeners.js'
import { toSession, type Row } from './sqlite-row.js'
import { byCreation, type RevocationReason, type StoredSession } from './types.js'
import type { SessionOperations } from './session-operations.js'

/** @internal What the session operations work with. */
export interface SqliteSessionsContext {
  db: Database.Database
  /** The sessions table, already created. */
  table: string
  /** Runs `operation`; any failure of the file is the store being unavailable. */
  guard: <T>(operation: () => T) => T
  /** Called after every write, so writes sweep when the timer is late or off. */
  noteWrite: (now: number) => void
  /** This process's revocation listeners. */
  listeners: RevocationListeners
}

const isUniqueViolation = (error: unknown) =>
  error instanceof Error &&
  'code' in error &&
  typeof error.code === 'string' &&
  error.code.startsWith('SQLITE_CONSTRAINT')

/** @internal The session operations of the SQLite store. */
export function sqliteSessions({
  db,
  table,
  guard,
  noteWrite,
  listeners,
}: SqliteSessionsContext): SessionOperations {
  // Columns named: a migrated file has its added columns last, a new one wherever they are.
  const insert = db.prepare(`
    INSERT INTO ${table} (
      id, user_id, user_json, created_at, last_used_at, expires_at, idle_expires_at, user_agent,
      ip, token_key, token_hash, previous_token_hash, rotated_at, sealed_successor, generation,
      revoked_at, revoked_reason, auth_time, amr_json, acr, jkt
    ) VALUES (
      @id, @userId, @userJson, @createdAt, @lastUsedAt, @expiresAt, @idleExpiresAt, @userAgent,
      @ip, @tokenKey, @tokenHash, @previousTokenHash, @rotatedAt, @sealedSuccessor, @generation,
      @revokedAt, @revokedReason, @authTime, @amrJson, @acr, @jkt
    )`)
  const selectOne = db.prepare<[string], Row>(`SELECT * FROM ${table} WHERE id = ?`)
  const selectLive = db.prepare<[string, number], Row>(`
    SELECT * FROM ${table}
    WHERE user_id = ? AND revoked_at IS NULL AND min(expires_at, idle_expires_at) > ?`)
  const rotateOne = db.prepare(`
    UPDATE ${table} SET
      token_hash = @tokenHash, previous_token_hash = @previousTokenHash, rotated_at = @rotatedAt,
      sealed_successor = @sealedSuccessor, generation = @generation, last_used_at = @lastUsedAt,
      idle_expires_at = @idleExpiresAt, ip = @ip, user_agent = @userAgent,
      auth_time = @authTime, amr_json = @amrJson, acr = @acr
    WHERE id = @id AND token_hash = @expected AND revoked_at IS NULL`)
  const markRevoked = db.prepare<[number, string, string]>(`
    UPDATE ${table} SET revoked_at = ?, revoked_reason = ?, sealed_successor = NULL
    WHERE id = ? AND revoked_at IS NULL`)

  const revokeOne = db.transaction(
    (sessionId: string, reason: RevocationReason, now: number): StoredSession | null => {
      const row = selectOne.get(sessionId)
      if (!row || row.revoked_at !== null) return null
      markRevoked.run(now, reason, sessionId)
      return toSession(row)
    },
  )
  const revokeLive = db.transaction(
    (userId: string, reason: RevocationReason, now: number): StoredSession[] => {
      const rows = selectLive.all(userId, now)
      for (const row of rows) markRevoked.run(now, reason, row.id)
      return rows.map(toSession)
    },
  )

  return {
    async create(session, now) {
      try {
        insert.run({
          id: session.id,
          userId: session.userId,
          userJson: JSON.stringify(session.user),
          createdAt: session.createdAt,
          lastUsedAt: session.lastUsedAt,
          expiresAt: session.expiresAt,
          idleExpiresAt: session.idleExpiresAt,
          userAgent: session.userAgent,
          ip: session.ip,
          tokenKey: session.tokenKey,
          tokenHash: session.tokenHash,
          previousTokenHash: session.previousTokenHash,
          rotatedAt: session.rotatedAt,
          sealedSuccessor: session.sealedSuccessor,
          generation: session.generation,
          revokedAt: session.revokedAt,
          revokedReason: session.revokedReason,
          authTime: session.authTime,
          amrJson: JSON.stringify(session.amr),
          acr: session.acr,
          jkt: session.jkt,
        })
      } catch (error) {
        if (isUniqueViolation(error)) throw new Error(`session ${session.id} already exists`)
        throw storeUnavailable(error)
      }
      guard(() => noteWrite(now))
    },

    async get(sessionId) {
      return guard(() => {
        const row = selectOne.get(sessionId)
        return row ? toSession(row) : null
      })
    },

    async rotate(sessionId, expectedTokenHash, rotation, now) {
      return guard(() => {
        const { changes } = rotateOne.run({
          tokenHash: rotation.tokenHash,
          previousTokenHash: rotation.previousTokenHash,
          rotatedAt: rotation.rotatedAt,
          sealedSuccessor: rotation.sealedSuccessor,
          generation: rotation.generation,
          lastUsedAt: rotation.lastUsedAt,
          idleExpiresAt: rotation.idleExpiresAt,
          ip: rotation.ip,
          userAgent: rotation.userAgent,
          authTime: rotation.authTime,
          amrJson: JSON.stringify(rotation.amr),
          acr: rotation.acr,
          id: sessionId,
          expected: expectedTokenHash,
        })
        noteWrite(now)
        return changes === 1
      })
    },

    async revoke(sessionId, reason, now) {
      const before = guard(() => revokeOne.immediate(sessionId, reason, now))
      if (before) listeners.notify([before.id])
      return before
    },

    async revokeByUser(userId, reason, now) {
      const revoked = guard(() => revokeLive.immediate(userId, reason, now))
      listeners.notify(revoked.map((session) => session.id))
      return revoked
    },

    async listByUser(userId, now) {
      // Sorted here rather than in SQL so ties order exactly as in the other stores.
      return guard(() => selectLive.all(userId, now).map(toSession)).sort(byCreation)
    },
  }
}
