/**
 * @module
 * Rate-limit counters in the SQLite store's own database, with `rate-limiter-flexible`'s
 * `RateLimiterSQLite` (which drives `better-sqlite3` directly: `storeType: 'better-sqlite3'`).
 * @internal
 */
import type Database from 'better-sqlite3'
import { RateLimiterSQLite } from 'rate-limiter-flexible'
import type { RateLimiterBackend } from './backend.js'

// The library leaves expired rows in the table; this deletes them about as often as its own
// optional timer would, without one that outlives the database.
const SWEEP_EVERY_MS = 5 * 60_000

/** @internal Counters in `table` of `db`, created here so the first request never races it. */
export function sqliteRateLimiterBackend(db: Database.Database, table: string): RateLimiterBackend {
  // The schema RateLimiterSQLite creates itself, made here synchronously (it would do it in a
  // promise after its constructor returns) and shared by every budget through its key prefix.
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
    key TEXT PRIMARY KEY,
    points INTEGER NOT NULL DEFAULT 0,
    expire INTEGER
  )`)
  const sweep = db.prepare<[number]>(`DELETE FROM ${table} WHERE expire < ?`)
  let lastSweep = Date.now()

  return {
    kind: 'sqlite',
    limiter({ keyPrefix, points, duration }) {
      const limiter = new RateLimiterSQLite({
        storeClient: db,
        storeType: 'better-sqlite3',
        tableName: table,
        tableCreated: true,
        keyPrefix,
        points,
        duration,
      })
      const consume = limiter.consume.bind(limiter)
      // Sweeping rides on the traffic that fills the table.
      limiter.consume = (...args) => {
        const now = Date.now()
        if (now - lastSweep >= SWEEP_EVERY_MS && db.open) {
          lastSweep = now
          sweep.run(now)
        }
        return consume(...args)
      }
      return limiter
    },
  }
}
