/**
 * @module
 * The factor store of `postgresStore()`, on tables its migration 3 creates
 * (`stores/postgres-schema.ts`): `<table>_factors` (one JSONB record per factor), `<table>_codes`
 * (recovery-code hashes) and `<table>_pending` (tickets and challenges). Every compare-and-set is
 * one `UPDATE … WHERE <condition>` or `DELETE … RETURNING`: PostgreSQL re-checks the condition on
 * the row a concurrent writer just changed, so of two instances accepting the same code exactly one
 * succeeds.
 * @internal
 */
import type { Pool, PoolClient } from 'pg'
import { MAX_FACTORS, tooManyFactors } from './factors.js'
import { byFactorCreation, type FactorStore, type StoredFactor } from './types.js'

/** @internal The quoted names of the factor tables of sessions table `table` in `schema`. */
export const factorTables = (schema: string, table: string) => ({
  factors: `"${schema}"."${table}_factors"`,
  codes: `"${schema}"."${table}_codes"`,
  pending: `"${schema}"."${table}_pending"`,
})

/**
 * @internal The factor store on `pool`. `run` waits for the migrations and turns any failure into
 * `503 store_unavailable`, as the session store's own queries do; `transaction` is the store's.
 */
export function postgresFactorStore(
  pool: Pool,
  run: <T>(operation: () => Promise<T>) => Promise<T>,
  transaction: <T>(work: (client: PoolClient) => Promise<T>) => Promise<T>,
  schema: string,
  table: string,
): FactorStore {
  const t = factorTables(schema, table)
  const records = (rows: Array<{ record: StoredFactor }>) =>
    rows.map((row) => row.record).sort(byFactorCreation)
  return {
    async createFactor(factor) {
      // Under READ COMMITTED, two transactions counting the same rows both find room: a lock on
      // the user, held to the commit, makes them count one after the other. An advisory lock, as
      // a user with no factor yet has no row to lock; keys are per table, so two stores on one
      // database do not wait on each other.
      const created = await run(() =>
        transaction(async (client) => {
          await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
            `baton-mfa:${t.factors}:${factor.userId}`,
          ])
          const { rows } = await client.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM ${t.factors} WHERE user_id = $1`,
            [factor.userId],
          )
          if ((rows[0]?.n ?? 0) >= MAX_FACTORS) return false
          await client.query(`INSERT INTO ${t.factors} (id, user_id, record) VALUES ($1, $2, $3)`, [
            factor.id,
            factor.userId,
            JSON.stringify(factor),
          ])
          return true
        }),
      )
      if (!created) throw tooManyFactors()
    },

    async listFactors(userId) {
      const { rows } = await run(() =>
        pool.query<{ record: StoredFactor }>(`SELECT record FROM ${t.factors} WHERE user_id = $1`, [
          userId,
        ]),
      )
      return records(rows)
    },

    async deleteFactor(userId, factorId) {
      const { rowCount } = await run(() =>
        pool.query(`DELETE FROM ${t.factors} WHERE id = $1 AND user_id = $2`, [factorId, userId]),
      )
      return rowCount === 1
    },

    async acceptTotpStep(userId, factorId, step, now, confirm) {
      const { rowCount } = await run(() =>
        pool.query(
          `UPDATE ${t.factors} SET record = record
             || jsonb_build_object('lastStep', $3::float8, 'lastUsedAt', $4::float8)
             || CASE WHEN $5 THEN jsonb_build_object('confirmedAt', $4::float8) ELSE '{}'::jsonb END
           WHERE id = $1 AND user_id = $2 AND record->>'method' = 'totp'
             AND (record->'confirmedAt' = 'null'::jsonb) = $5
             AND (record->>'lastStep')::float8 < $3`,
          [factorId, userId, step, now, confirm],
        ),
      )
      return rowCount === 1
    },

    async recordPasskeyUse(userId, factorId, counter, backedUp, now) {
      const { rowCount } = await run(() =>
        pool.query(
          `UPDATE ${t.factors} SET record = record || jsonb_build_object(
             'counter', $3::float8, 'backedUp', $4::boolean, 'lastUsedAt', $5::float8)
           WHERE id = $1 AND user_id = $2 AND record->>'method' = 'passkey'
             AND ((record->>'counter')::float8 < $3
               OR ($3 = 0 AND (record->>'counter')::float8 = 0))`,
          [factorId, userId, counter, backedUp, now],
        ),
      )
      return rowCount === 1
    },

    async replaceRecoveryCodes(userId, hashes) {
      await run(() =>
        transaction(async (client) => {
          await client.query(`DELETE FROM ${t.codes} WHERE user_id = $1`, [userId])
          await client.query(
            `INSERT INTO ${t.codes} (user_id, hash) SELECT $1, unnest($2::text[])`,
            [userId, hashes],
          )
        }),
      )
    },

    async useRecoveryCode(userId, hash) {
      const { rowCount } = await run(() =>
        pool.query(`DELETE FROM ${t.codes} WHERE user_id = $1 AND hash = $2`, [userId, hash]),
      )
      return rowCount === 1
    },

    async countRecoveryCodes(userId) {
      const { rows } = await run(() =>
        pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t.codes} WHERE user_id = $1`, [
          userId,
        ]),
      )
      return rows[0]?.n ?? 0
    },

    async putPending(key, value, expiresAt, now) {
      await run(async () => {
        // Expired records go with the writes that make new ones: no timer needed to bound them.
        await pool.query(`DELETE FROM ${t.pending} WHERE expires_at <= $1`, [now])
        await pool.query(
          `INSERT INTO ${t.pending} (key, value, expires_at, tries) VALUES ($1, $2, $3, 0)
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value,
             expires_at = EXCLUDED.expires_at, tries = 0`,
          [key, value, expiresAt],
        )
      })
    },

    async getPending(key, now) {
      const { rows } = await run(() =>
        pool.query<{ value: string }>(
          `SELECT value FROM ${t.pending} WHERE key = $1 AND expires_at > $2`,
          [key, now],
        ),
      )
      return rows[0]?.value ?? null
    },

    async takePending(key, now) {
      const { rows } = await run(() =>
        pool.query<{ value: string; expires_at: number }>(
          `DELETE FROM ${t.pending} WHERE key = $1 RETURNING value, expires_at`,
          [key],
        ),
      )
      const row = rows[0]
      return row && row.expires_at > now ? row.value : null
    },

    async failPending(key, now, by = 1) {
      const { rows } = await run(() =>
        pool.query<{ tries: number }>(
          `UPDATE ${t.pending} SET tries = tries + $3 WHERE key = $1 AND expires_at > $2
           RETURNING tries`,
          [key, now, by],
        ),
      )
      return rows[0]?.tries ?? null
    },
  }
}
