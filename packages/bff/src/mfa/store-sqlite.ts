/**
 * @module
 * The factor store of `sqliteStore()`: three tables beside the sessions, created when missing (as
 * `stores/sqlite-schema.ts` creates the sessions'). A factor is one row holding its record as
 * JSON; every read-modify-write runs in an `IMMEDIATE` transaction, so it stays atomic even when a
 * second process opens the file.
 * @internal
 */
/* eslint-disable @typescript-eslint/require-await --
 * better-sqlite3 is synchronous; `async` keeps the contract that every failure is a rejection. */
import type Database from 'better-sqlite3'
import { storeUnavailable } from '../errors.js'
import { MAX_FACTORS, tooManyFactors } from './factors.js'
import { byFactorCreation, counterAdvances, type FactorStore, type StoredFactor } from './types.js'

/** @internal Creates `<table>_mfa_factors`, `<table>_mfa_codes` and `<table>_mfa_pending`. */
export function createFactorSchema(db: Database.Database, table: string): void {
  db.transaction(() => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ${table}_mfa_factors (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        record TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS ${table}_mfa_factors_user ON ${table}_mfa_factors (user_id);
      CREATE TABLE IF NOT EXISTS ${table}_mfa_codes (
        user_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (user_id, hash)
      );
      CREATE TABLE IF NOT EXISTS ${table}_mfa_pending (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        tries INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX IF NOT EXISTS ${table}_mfa_pending_exp ON ${table}_mfa_pending (expires_at);
    `)
  }).immediate()
}

/** @internal The factor store on an open database whose sessions table is `table`. */
export function sqliteFactorStore(db: Database.Database, table: string): FactorStore {
  createFactorSchema(db, table)
  const f = `${table}_mfa_factors`
  const p = `${table}_mfa_pending`
  const c = `${table}_mfa_codes`
  const insert = db.prepare<[string, string, string]>(
    `INSERT INTO ${f} (id, user_id, record) VALUES (?, ?, ?)`,
  )
  const selectUser = db.prepare<[string], { record: string }>(
    `SELECT record FROM ${f} WHERE user_id = ?`,
  )
  const selectOne = db.prepare<[string, string], { record: string }>(
    `SELECT record FROM ${f} WHERE id = ? AND user_id = ?`,
  )
  const update = db.prepare<[string, string]>(`UPDATE ${f} SET record = ? WHERE id = ?`)
  const remove = db.prepare<[string, string]>(`DELETE FROM ${f} WHERE id = ? AND user_id = ?`)
  const deleteCodes = db.prepare<[string]>(`DELETE FROM ${c} WHERE user_id = ?`)
  const insertCode = db.prepare<[string, string]>(`INSERT INTO ${c} (user_id, hash) VALUES (?, ?)`)
  const deleteCode = db.prepare<[string, string]>(`DELETE FROM ${c} WHERE user_id = ? AND hash = ?`)
  const countCodes = db.prepare<[string], { n: number }>(
    `SELECT count(*) AS n FROM ${c} WHERE user_id = ?`,
  )
  const putPending = db.prepare<[string, string, number]>(
    `INSERT INTO ${p} (key, value, expires_at, tries) VALUES (?, ?, ?, 0)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, tries = 0`,
  )
  const sweepPending = db.prepare<[number]>(`DELETE FROM ${p} WHERE expires_at <= ?`)
  const getPending = db.prepare<[string, number], { value: string }>(
    `SELECT value FROM ${p} WHERE key = ? AND expires_at > ?`,
  )
  const deletePending = db.prepare<[string]>(`DELETE FROM ${p} WHERE key = ?`)
  const failPending = db.prepare<[number, string, number], { tries: number }>(
    `UPDATE ${p} SET tries = tries + ? WHERE key = ? AND expires_at > ? RETURNING tries`,
  )

  function guard<T>(operation: () => T): T {
    try {
      return operation()
    } catch (error) {
      throw storeUnavailable(error)
    }
  }

  /** Applies `change` to the factor in one transaction when it returns true. */
  const modify = db.transaction(
    (userId: string, factorId: string, change: (factor: StoredFactor) => boolean): boolean => {
      const row = selectOne.get(factorId, userId)
      if (!row) return false
      const factor = JSON.parse(row.record) as StoredFactor
      if (!change(factor)) return false
      update.run(JSON.stringify(factor), factorId)
      return true
    },
  )
  const countFactors = db.prepare<[string], { n: number }>(
    `SELECT count(*) AS n FROM ${f} WHERE user_id = ?`,
  )
  /** Inserts the factor unless its user has the most already; `false` then, nothing written. */
  const insertUnderCap = db.transaction((factor: StoredFactor): boolean => {
    if ((countFactors.get(factor.userId)?.n ?? 0) >= MAX_FACTORS) return false
    insert.run(factor.id, factor.userId, JSON.stringify(factor))
    return true
  })
  const replaceCodes = db.transaction((userId: string, hashes: readonly string[]) => {
    deleteCodes.run(userId)
    for (const hash of hashes) insertCode.run(userId, hash)
  })
  const take = db.transaction((key: string, now: number) => {
    const row = getPending.get(key, now)
    deletePending.run(key)
    return row?.value ?? null
  })

  return {
    async createFactor(factor) {
      // Counted and written in one IMMEDIATE transaction: another process on the file cannot
      // slip a factor in between.
      if (!guard(() => insertUnderCap.immediate(factor))) throw tooManyFactors()
    },
    async listFactors(userId) {
      return guard(() => selectUser.all(userId))
        .map((row) => JSON.parse(row.record) as StoredFactor)
        .sort(byFactorCreation)
    },
    async deleteFactor(userId, factorId) {
      return guard(() => remove.run(factorId, userId).changes === 1)
    },
    async acceptTotpStep(userId, factorId, step, now, confirm) {
      return guard(() =>
        modify.immediate(userId, factorId, (factor) => {
          if (factor.method !== 'totp' || (factor.confirmedAt === null) !== confirm) return false
          if (step <= factor.lastStep) return false
          factor.lastStep = step
          factor.lastUsedAt = now
          if (confirm) factor.confirmedAt = now
          return true
        }),
      )
    },
    async recordPasskeyUse(userId, factorId, counter, backedUp, now) {
      return guard(() =>
        modify.immediate(userId, factorId, (factor) => {
          if (factor.method !== 'passkey' || !counterAdvances(factor.counter, counter)) return false
          factor.counter = counter
          factor.backedUp = backedUp
          factor.lastUsedAt = now
          return true
        }),
      )
    },
    async replaceRecoveryCodes(userId, hashes) {
      guard(() => replaceCodes.immediate(userId, hashes))
    },
    async useRecoveryCode(userId, hash) {
      return guard(() => deleteCode.run(userId, hash).changes === 1)
    },
    async countRecoveryCodes(userId) {
      return guard(() => countCodes.get(userId)?.n ?? 0)
    },
    async putPending(key, value, expiresAt, now) {
      guard(() => {
        sweepPending.run(now)
        putPending.run(key, value, expiresAt)
      })
    },
    async getPending(key, now) {
      return guard(() => getPending.get(key, now)?.value ?? null)
    },
    async takePending(key, now) {
      return guard(() => take.immediate(key, now))
    },
    async failPending(key, now, by = 1) {
      return guard(() => failPending.get(by, key, now)?.tries ?? null)
    },
  }
}
