/**
 * @module
 * `sqliteStore()`: sessions in an SQLite file through `better-sqlite3`, for one BFF instance that
 * must keep its sessions across restarts without running Redis. Import it from
 * `@baton/bff/stores/sqlite`, so only applications that use it load the native addon.
 *
 * The session operations (the prepared statements on the sessions table) are in
 * `sqlite-sessions.ts`, opening the file in `sqlite-open.ts`, the tables in `sqlite-schema.ts` and
 * the row decoding in `sqlite-row.ts`.
 */
/* eslint-disable @typescript-eslint/require-await --
 * better-sqlite3 is synchronous; `async` keeps the `SessionStore` contract that every failure is a
 * rejection, never a throw out of the call itself. */
import type Database from 'better-sqlite3'
import { parseDuration, type Duration } from '@baton/protocol'
import { storeUnavailable } from '../errors.js'
import { EXPIRED_SESSION_RETENTION_MS, type SessionStore } from './types.js'
import { epochListeners, revocationListeners } from './listeners.js'
import { sharedBackend } from '../rate-limit/backend.js'
import { sqliteRateLimiterBackend } from '../rate-limit/sqlite-backend.js'
import { openDatabase } from './sqlite-open.js'
import { createSchema } from './sqlite-schema.js'
import { sqliteOidcStateStore } from './sqlite-oidc.js'
import { once } from './once.js'
import { sqliteFactorStore } from '../mfa/store-sqlite.js'
import { sharedFactorStore } from '../mfa/types.js'
import { sqliteSessions } from './sqlite-sessions.js'

/** Options of {@link sqliteStore}. Give exactly one of `path` and `database`. */
export interface SqliteStoreOptions {
  /**
   * The database file, created if missing, with its folder (`':memory:'` for a throwaway one). The
   * store opens it in WAL mode with `synchronous = NORMAL`: a committed session survives a crash
   * of the process (not necessarily a power cut), and reads never wait for the writer. A folder
   * that cannot be created or a file that cannot be opened throws a `TypeError` naming the path.
   */
  path?: string
  /**
   * An open `better-sqlite3` database to use instead, for example one the application already has.
   * Its pragmas are left alone (WAL mode is recommended) and `close()` does not close it.
   */
  database?: Database.Database
  /**
   * Name of the sessions table, created if missing.
   * @default 'baton_sessions'
   */
  tableName?: string
  /**
   * How often rows past their deadlines are deleted, in ms. `0` disables the timer; writes still
   * sweep when this much time (or a minute, with the timer off) has passed since the last sweep.
   * @default 60_000
   */
  sweepInterval?: Duration
  /**
   * How far back a new revocation subscriber (the `requireAuth` of a process restarted on the
   * file) replays the sessions revoked, so it refuses their access tokens. Keep it at least the
   * access-token lifetime. `0` replays nothing.
   * @default '15m'
   */
  revocationReplay?: Duration
  /**
   * The clock used by the background sweep and the replay window.
   * @default Date.now
   */
  now?: () => number
}

/** The SQLite store: a {@link SessionStore} with a manual sweep and access to its database. */
export interface SqliteStore extends SessionStore {
  /**
   * Deletes sessions past their deadlines by more than five minutes (revoked tombstones included,
   * once their replay window is over too); returns how many. The five minutes let a refresh
   * just past the deadline hear `401 session_expired` rather than `no_session`.
   */
  sweep(now?: number): number
  /** The underlying database. */
  readonly database: Database.Database
}

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * Sessions in SQLite: one process, persistent across restarts. `better-sqlite3` is synchronous,
 * so each method runs to completion before the next starts; `rotate` is still written as a
 * conditional `UPDATE … WHERE token_hash = ? AND revoked_at IS NULL` and `revoke` as an
 * `IMMEDIATE` transaction, so they stay compare-and-set even if a second process opens the file.
 * Revocation listeners are in-process: for several instances, use the Redis store.
 *
 * @example
 * ```ts
 * import { createBff } from '@baton/bff'
 * import { sqliteStore } from '@baton/bff/stores/sqlite'
 *
 * const bff = createBff({ keys, store: sqliteStore({ path: './data/sessions.db' }), authenticate })
 * ```
 */
export function sqliteStore(options: SqliteStoreOptions): SqliteStore {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('sqliteStore: options { path } or { database } are required')
  }
  if ((options.path === undefined) === (options.database === undefined)) {
    throw new TypeError('sqliteStore: give exactly one of path and database')
  }
  const table = options.tableName ?? 'baton_sessions'
  if (!TABLE_NAME.test(table)) {
    throw new TypeError(`sqliteStore: tableName "${table}" is not a plain SQL identifier`)
  }
  const interval = parseDuration(options.sweepInterval ?? 60_000, 'sweepInterval')
  const replayMs = parseDuration(options.revocationReplay ?? '15m', 'revocationReplay')
  const clock = options.now ?? (() => Date.now())

  const ownsDatabase = options.database === undefined
  const db = options.database ?? openDatabase(options.path!)
  createSchema(db, table)

  const selectEpoch = db.prepare<[], { value: number }>(
    `SELECT value FROM ${table}_meta WHERE key = 'revocation_epoch'`,
  )
  // Never moves back: two administrators raising it at once leave the later of the two.
  const raiseEpoch = db.prepare<[number]>(`
    INSERT INTO ${table}_meta (key, value) VALUES ('revocation_epoch', ?)
    ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)`)
  const revokedSince = db.prepare<[number], { id: string }>(
    `SELECT id FROM ${table} WHERE revoked_at >= ?`,
  )
  // A session stays a while past its deadline (EXPIRED_SESSION_RETENTION_MS) so that a late refresh
  // hears `session_expired`. A revoked one stays within the replay window too: its last access
  // token can outlive the idle deadline, and a late subscriber learns of it from this row alone.
  const deleteDead = db.prepare<[number, number]>(
    `DELETE FROM ${table} WHERE min(expires_at, idle_expires_at) <= ?
       AND (revoked_at IS NULL OR revoked_at <= ?)`,
  )
  // Set-if-absent, where a key past its expiry counts as absent: one statement, so it stays
  // atomic if a second process opens the file.
  const rememberProof = db.prepare<[string, number, number]>(`
    INSERT INTO ${table}_dpop_proofs (key, expires_at) VALUES (?, ?)
    ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
    WHERE ${table}_dpop_proofs.expires_at <= ?`)
  const deleteDeadProofs = db.prepare<[number]>(
    `DELETE FROM ${table}_dpop_proofs WHERE expires_at <= ?`,
  )

  // The database is a file on this machine; an error here (disk full, I/O error, a closed handle,
  // a lock held too long) means it cannot serve sessions right now.
  function guard<T>(operation: () => T): T {
    try {
      return operation()
    } catch (error) {
      throw storeUnavailable(error)
    }
  }

  const listeners = revocationListeners()
  const epochs = epochListeners()
  const readEpoch = () => selectEpoch.get()?.value ?? 0
  let lastSweep = clock()
  const sweep = (now = clock()) => {
    lastSweep = now
    deleteDeadProofs.run(now)
    return deleteDead.run(now - EXPIRED_SESSION_RETENTION_MS, now - replayMs).changes
  }
  const writeSweepGap = interval > 0 ? interval : 60_000
  const noteWrite = (now: number) => {
    if (now - lastSweep >= writeSweepGap) sweep(now)
  }
  const sessions = sqliteSessions({ db, table, guard, noteWrite, listeners })
  const timer =
    interval > 0
      ? setInterval(() => {
          try {
            sweep()
          } catch {
            // The database is unavailable right now; the next tick or write sweeps instead.
          }
        }, interval)
      : undefined
  // A store must never keep a process alive on its own.
  timer?.unref()

  return {
    database: db,
    sweep,

    ...sessions,

    subscribeRevocations(listener) {
      const unsubscribe = listeners.subscribe(listener)
      // The table is the replay log: a process restarted on the file (or a second one on it)
      // hears what was revoked before it subscribed, as a late Redis subscriber does.
      if (replayMs > 0) {
        try {
          const ids = revokedSince.all(clock() - replayMs).map((row) => row.id)
          listeners.notify(ids, [listener])
        } catch {
          // The database is unavailable right now; those tokens live until `exp`, as before.
        }
      }
      return unsubscribe
    },

    async getRevocationEpoch() {
      return guard(readEpoch)
    },

    async raiseRevocationEpoch(epoch) {
      const current = guard(() => {
        raiseEpoch.run(epoch)
        return readEpoch()
      })
      epochs.notify(current)
      return current
    },

    subscribeRevocationEpoch(listener) {
      // A new subscriber hears the epoch in force: read it from the file, which another process
      // may have raised (its later raises reach this process only through refresh, which reads it).
      try {
        epochs.notify(readEpoch())
      } catch {
        // The database is unavailable right now; refresh still reads the epoch every time.
      }
      return epochs.subscribe(listener)
    },

    async rememberProof(key, expiresAt, now) {
      return guard(() => {
        const { changes } = rememberProof.run(key, expiresAt, now)
        noteWrite(now)
        return changes === 1
      })
    },

    // Rate-limit counters in the same database, table `<tableName>_rate_limits`.
    rateLimiterBackend: sharedBackend(() => sqliteRateLimiterBackend(db, `${table}_rate_limits`)),

    // Second factors in `<tableName>_mfa_factors`, `_mfa_codes` and `_mfa_pending`.
    factorStore: sharedFactorStore(() => sqliteFactorStore(db, table)),

    // OpenID Connect state in the same database, table `<tableName>_oidc`.
    oidcStateStore: once(() => sqliteOidcStateStore(db, `${table}_oidc`, clock)),

    async close() {
      if (timer) clearInterval(timer)
      listeners.clear()
      epochs.clear()
      if (ownsDatabase && db.open) db.close()
    },
  }
}
