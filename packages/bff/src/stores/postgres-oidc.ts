/**
 * @module
 * The PostgreSQL store's {@link OidcStateStore} (`postgresStore().oidcStateStore()`): OpenID
 * Connect transactions, logout-token `jti`s, sealed upstream tokens and refresh leases in
 * `<tableName>_oidc` (migration 3), shared by every instance on the database. Every operation is
 * one statement; `claim` is an `INSERT … ON CONFLICT DO UPDATE … WHERE expired`, so of any number
 * of instances claiming one key exactly one gets it. Expired rows go with the store's sweep.
 * @internal
 */
import type { Pool } from 'pg'
import type { OidcStateStore } from '../oidc/state-store.js'

/** @internal An {@link OidcStateStore} in `table` (quoted), run through the store's `run`. */
export function postgresOidcStateStore(
  pool: Pool,
  table: string,
  run: <T>(operation: () => Promise<T>) => Promise<T>,
  now: () => number,
): OidcStateStore {
  // `value` for a string, `members` for a set; `expires_at` is epoch ms, as in the sessions.
  const upsert = (where: string) =>
    `INSERT INTO ${table} AS t (key, value, members, expires_at) VALUES ($1, $2, NULL, $3)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, members = NULL,
       expires_at = EXCLUDED.expires_at ${where}`
  const setSql = upsert('')
  const claimSql = upsert('WHERE t.expires_at <= $4')
  // A set past its expiry starts again; a live one gains the member and keeps its longer life.
  const addSql = `INSERT INTO ${table} AS t (key, value, members, expires_at)
     VALUES ($1, NULL, ARRAY[$2::text], $3)
     ON CONFLICT (key) DO UPDATE SET
       value = NULL,
       members = CASE
         WHEN t.expires_at <= $4 OR t.members IS NULL THEN EXCLUDED.members
         WHEN $2 = ANY (t.members) THEN t.members
         ELSE array_append(t.members, $2::text) END,
       expires_at = CASE
         WHEN t.expires_at <= $4 OR t.members IS NULL THEN EXCLUDED.expires_at
         ELSE GREATEST(t.expires_at, EXCLUDED.expires_at) END`

  return {
    async set(key, value, ttlMs) {
      await run(() => pool.query(setSql, [key, value, now() + ttlMs]))
    },
    async get(key) {
      const { rows } = await run(() =>
        pool.query<{ value: string | null }>(
          `SELECT value FROM ${table} WHERE key = $1 AND expires_at > $2`,
          [key, now()],
        ),
      )
      return rows[0]?.value ?? null
    },
    async delete(key) {
      await run(() => pool.query(`DELETE FROM ${table} WHERE key = $1`, [key]))
    },
    async claim(key, value, ttlMs) {
      const at = now()
      const { rowCount } = await run(() => pool.query(claimSql, [key, value, at + ttlMs, at]))
      return rowCount === 1
    },
    async release(key, value) {
      await run(() =>
        pool.query(`DELETE FROM ${table} WHERE key = $1 AND value = $2`, [key, value]),
      )
    },
    async addMember(key, member, ttlMs) {
      const at = now()
      await run(() => pool.query(addSql, [key, member, at + ttlMs, at]))
    },
    async members(key) {
      const { rows } = await run(() =>
        pool.query<{ members: string[] | null }>(
          `SELECT members FROM ${table} WHERE key = $1 AND expires_at > $2`,
          [key, now()],
        ),
      )
      return rows[0]?.members ?? []
    },
  }
}
