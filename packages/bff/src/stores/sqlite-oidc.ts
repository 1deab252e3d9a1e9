/**
 * @module
 * The SQLite store's {@link OidcStateStore} (`sqliteStore().oidcStateStore()`): OpenID Connect
 * transactions, logout-token `jti`s, sealed upstream tokens and refresh leases in
 * `<tableName>_oidc` of the sessions' own database. Each operation is one statement or one
 * `IMMEDIATE` transaction, so `claim` stays single-use even if a second process opens the file.
 * @internal
 */
/* eslint-disable @typescript-eslint/require-await --
 * better-sqlite3 is synchronous; `async` turns a throw into the rejection a store promises. */
import type Database from 'better-sqlite3'
import { storeUnavailable } from '../errors.js'
import type { OidcStateStore } from '../oidc/state-store.js'

interface Row {
  value: string | null
  members: string | null
  expires_at: number
}

/** Expired rows go on every this-many writes: the table stays bounded by what is live. */
const SWEEP_EVERY_WRITES = 100

/** @internal An {@link OidcStateStore} in table `table` of `db`, created here when missing. */
export function sqliteOidcStateStore(
  db: Database.Database,
  table: string,
  now: () => number,
): OidcStateStore {
  // `value` for a string, `members` (a JSON array) for a set; `expires_at` is epoch ms.
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
    key TEXT PRIMARY KEY,
    value TEXT,
    members TEXT,
    expires_at REAL NOT NULL
  );
  CREATE INDEX IF NOT EXISTS ${table}_expiry ON ${table} (expires_at);`)
  const write = db.prepare<[string, string, number]>(
    `INSERT INTO ${table} (key, value, members, expires_at) VALUES (?, ?, NULL, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, members = NULL,
       expires_at = excluded.expires_at`,
  )
  // Takes the key over only when the row there has expired (the sweep may not have run yet).
  const claim = db.prepare<[string, string, number, number]>(
    `INSERT INTO ${table} (key, value, members, expires_at) VALUES (?, ?, NULL, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, members = NULL,
       expires_at = excluded.expires_at
     WHERE ${table}.expires_at <= ?`,
  )
  const select = db.prepare<[string, number], Row>(
    `SELECT value, members, expires_at FROM ${table} WHERE key = ? AND expires_at > ?`,
  )
  const remove = db.prepare<[string]>(`DELETE FROM ${table} WHERE key = ?`)
  const release = db.prepare<[string, string]>(`DELETE FROM ${table} WHERE key = ? AND value = ?`)
  const writeSet = db.prepare<[string, string, number]>(
    `INSERT INTO ${table} (key, value, members, expires_at) VALUES (?, NULL, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = NULL, members = excluded.members,
       expires_at = excluded.expires_at`,
  )
  const sweep = db.prepare<[number]>(`DELETE FROM ${table} WHERE expires_at <= ?`)

  const addMember = db.transaction((key: string, member: string, expiresAt: number, at: number) => {
    const row = select.get(key, at)
    const members = row?.members ? (JSON.parse(row.members) as string[]) : []
    if (!members.includes(member)) members.push(member)
    // A longer lifetime the set already had is kept: another session's entry may need it.
    writeSet.run(
      key,
      JSON.stringify(members),
      Math.max(expiresAt, row?.members ? row.expires_at : 0),
    )
  })

  let writes = 0
  /** Runs a write, then sweeps now and then; any failure of the file is the store being down. */
  const run = <T>(operation: (at: number) => T): T => {
    try {
      const at = now()
      const result = operation(at)
      if (++writes % SWEEP_EVERY_WRITES === 0) sweep.run(at)
      return result
    } catch (error) {
      throw storeUnavailable(error)
    }
  }

  return {
    async set(key, value, ttlMs) {
      run((at) => write.run(key, value, at + ttlMs))
    },
    async get(key) {
      return run((at) => select.get(key, at)?.value ?? null)
    },
    async delete(key) {
      run(() => remove.run(key))
    },
    async claim(key, value, ttlMs) {
      return run((at) => claim.run(key, value, at + ttlMs, at).changes === 1)
    },
    async release(key, value) {
      run(() => release.run(key, value))
    },
    async addMember(key, member, ttlMs) {
      run((at) => addMember.immediate(key, member, at + ttlMs, at))
    },
    async members(key) {
      return run((at) => {
        const members = select.get(key, at)?.members
        return members ? (JSON.parse(members) as string[]) : []
      })
    },
  }
}
