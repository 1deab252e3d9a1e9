/**
 * @module
 * `postgresStore()`: sessions in PostgreSQL through `pg` (node-postgres), for several BFF instances
 * that share one database. Import it from `@baton/bff/stores/postgres`, so only applications that
 * use it load the driver.
 *
 * The session operations (the sessions table) are in `postgres-sessions.ts`, the pool and its
 * migrations in `postgres-database.ts`, the tables in `postgres-schema.ts`, the revocation feed
 * (`LISTEN/NOTIFY` and replay) in `postgres-feed.ts` and the row decoding in `postgres-row.ts`.
 */
import { parseDuration, type Duration } from '@baton/protocol'
import type { ClientConfig, Pool, PoolClient, PoolConfig } from 'pg'
import { sharedBackend } from '../rate-limit/backend.js'
import { postgresRateLimiterBackend } from '../rate-limit/postgres-backend.js'
import { postgresFactorStore } from '../mfa/store-postgres.js'
import { sharedFactorStore } from '../mfa/types.js'
import { announcements, DEFAULT_HEARTBEAT_MS, postgresFeed } from './postgres-feed.js'
import { postgresDatabase } from './postgres-database.js'
import { postgresSessions } from './postgres-sessions.js'
import { postgresNames } from './postgres-schema.js'
import { postgresOidcStateStore } from './postgres-oidc.js'
import { once } from './once.js'
import { EXPIRED_SESSION_RETENTION_MS, type SessionStore } from './types.js'

/**
 * How long a revoked session is kept after its revocation at least, whatever `revocationReplay`
 * is: a reconnecting feed catches up from these rows, and they matter while an access token of
 * the session may be valid (5 minutes with the default `accessTokenTtl`).
 */
const REVOKED_KEPT_MS = 15 * 60_000

/** Options of {@link postgresStore}. */
export interface PostgresStoreOptions {
  /**
   * The connection: a `pg` `Pool`, pool options, or a connection string such as
   * `postgres://baton@db:5432/app`. A pool you pass stays yours: `close()` does not end it. From
   * options or a string the store creates a pool with `connectionTimeoutMillis` and
   * `query_timeout` equal to {@link PostgresStoreOptions.timeout}, so a database that stops
   * answering fails requests with 503 `store_unavailable` instead of hanging them. Revocations are
   * received on one more connection the store opens with the same settings (`LISTEN` needs a
   * connection of its own).
   */
  pool: Pool | PoolConfig | string
  /**
   * The schema of the store's tables, created if missing. Give each application its own (or its
   * own `tableName`).
   * @default 'public'
   */
  schema?: string
  /**
   * The sessions table; `<tableName>_meta`, `<tableName>_migrations` and
   * `<tableName>_rate_limits` sit beside it.
   * @default 'baton_sessions'
   */
  tableName?: string
  /**
   * How often sessions past their deadlines (revoked ones included) and expired rate-limit
   * counters are deleted. `0` disables the timer; call `sweep()` yourself then.
   * @default '1m'
   */
  sweepInterval?: Duration
  /**
   * How far back a new revocation subscriber (the `requireAuth` of an instance that starts now)
   * replays the sessions revoked, so it refuses their access tokens as the running instances do.
   * Keep it at least the access-token lifetime. `0` replays nothing to new subscribers (a
   * reconnecting feed still catches up on what it missed: revoked sessions are kept for at least
   * 15 minutes after their revocation, whatever this is).
   * @default '15m'
   */
  revocationReplay?: Duration
  /** Connection and query timeout of a pool the store creates. @default '2s' */
  timeout?: Duration
  /** The clock of the background sweep. @default Date.now */
  now?: () => number
  /**
   * @internal How often the listening connection is checked with a `SELECT 1` answered within
   * `timeout` (30 s by default; see `postgres-feed.ts`); tests shorten it.
   */
  heartbeat?: Duration
}

/** The PostgreSQL store: a {@link SessionStore} with a manual sweep and its pool. */
export interface PostgresStore extends SessionStore {
  /**
   * Deletes sessions whose deadlines passed five minutes before `now` (revoked ones also once
   * revoked for longer than {@link PostgresStoreOptions.revocationReplay} and 15 minutes); returns
   * how many. The five minutes, as in every store, let the refresh an idle tab sends just after
   * its idle deadline find its session and be answered `401 session_expired`, not `no_session`.
   */
  sweep(now?: number): Promise<number>
  /** Resolves once the schema is up to date; every operation waits for it anyway. */
  ready(): Promise<void>
  /** The pool the store queries through. */
  readonly pool: Pool
}

/**
 * Sessions in PostgreSQL: shared by every instance, persistent, with revocations delivered to
 * every instance through `LISTEN/NOTIFY`. The schema is created and migrated at start-up
 * (versioned, under an advisory lock). Rotation is one compare-and-set `UPDATE … WHERE
 * token_hash = $expected AND revoked_at IS NULL`, so of two instances rotating the same token
 * exactly one wins; a revocation locks the rows it ends and announces them in the same
 * transaction. A new subscriber also receives the ids revoked within `revocationReplay`, so an
 * instance that starts late still refuses recently revoked sessions. Rate-limit counters use
 * `rate-limiter-flexible`'s `RateLimiterPostgres` on the same pool, so every instance shares one
 * budget.
 *
 * @example
 * ```ts
 * import { createBff } from '@baton/bff'
 * import { postgresStore } from '@baton/bff/stores/postgres'
 *
 * const store = postgresStore({ pool: process.env.DATABASE_URL!, schema: 'auth' })
 * const bff = createBff({ keys, store, authenticate })
 * ```
 */
export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  if (typeof options !== 'object' || options === null || options.pool === undefined) {
    throw new TypeError('postgresStore: options { pool } are required')
  }
  const table = options.tableName ?? 'baton_sessions'
  const names = postgresNames(options.schema ?? 'public', table)
  const interval = parseDuration(options.sweepInterval ?? '1m', 'sweepInterval')
  const timeout = parseDuration(options.timeout ?? '2s', 'timeout')
  const replayMs = parseDuration(options.revocationReplay ?? '15m', 'revocationReplay')
  const clock = options.now ?? (() => Date.now())
  const heartbeatMs = parseDuration(options.heartbeat ?? DEFAULT_HEARTBEAT_MS, 'heartbeat')
  // The catch-up of a reconnecting feed reads the revoked rows: they stay as long as an access
  // token of theirs may (at least the default `accessTokenTtl`, with room), even with no replay.
  const revokedKeptMs = Math.max(replayMs, REVOKED_KEPT_MS)

  const database = postgresDatabase(options.pool, { timeout, names, table })
  const { pool, ownsPool, migrated, settled, run, transaction } = database
  const connection = (pool as Pool & { options: ClientConfig }).options
  const feed = postgresFeed(connection, pool, names, clock, {
    replayMs,
    heartbeatMs,
    heartbeatTimeoutMs: timeout,
  })

  const announce = async (client: PoolClient, payloads: string[]) => {
    for (const payload of payloads) {
      await client.query('SELECT pg_notify($1, $2), pg_notify($3, $2)', [
        names.channel,
        payload,
        names.legacyChannel,
      ])
    }
  }

  const sweep = async (at?: number) =>
    run(async () => {
      const now = at ?? clock()
      const before = now - EXPIRED_SESSION_RETENTION_MS
      // A revoked session stays past its deadline: its last access token can outlive the idle
      // deadline, and a late or reconnecting instance learns of it from this row alone.
      const { rowCount } = await pool.query(
        `DELETE FROM ${names.sessions}
          WHERE deadline <= $1 AND (revoked_at IS NULL OR revoked_at <= $2)`,
        [before, before - revokedKeptMs],
      )
      await pool.query(`DELETE FROM "${names.schema}"."${names.rateLimits}" WHERE expire < $1`, [
        now,
      ])
      await pool.query(`DELETE FROM ${names.proofs} WHERE expires_at <= $1`, [now])
      await pool.query(`DELETE FROM ${names.oidc} WHERE expires_at <= $1`, [now])
      return rowCount ?? 0
    })
  const timer =
    interval > 0
      ? setInterval(() => {
          sweep().catch(() => {
            // The database is unavailable right now; the next tick sweeps instead.
          })
        }, interval)
      : undefined
  // A store must never keep a process alive on its own.
  timer?.unref()

  return {
    pool,
    sweep,
    ready: () => migrated(),

    ...postgresSessions({ database, names, announce, feed }),

    subscribeRevocations: (listener) => feed.subscribe(listener),

    async getRevocationEpoch() {
      return run(async () => {
        const { rows } = await pool.query<{ value: number }>(
          `SELECT value FROM ${names.meta} WHERE key = 'revocation_epoch'`,
        )
        return rows[0]?.value ?? 0
      })
    },

    async raiseRevocationEpoch(epoch) {
      const current = await run(() =>
        transaction(async (client) => {
          // Never moves back: two administrators raising it at once leave the later of the two.
          const { rows } = await client.query<{ value: number }>(
            `INSERT INTO ${names.meta} (key, value) VALUES ('revocation_epoch', $1)
             ON CONFLICT (key) DO UPDATE SET value = GREATEST(${names.meta}.value, EXCLUDED.value)
             RETURNING value`,
            [epoch],
          )
          const value = rows[0]!.value
          await announce(client, announcements({ epoch: value }))
          return value
        }),
      )
      feed.epoch(current)
      return current
    },

    subscribeRevocationEpoch: (listener) => feed.subscribeEpoch(listener),

    async rememberProof(key, expiresAt, now) {
      // One statement: of two instances seeing the same proof, exactly one inserts (or takes over
      // a row past its expiry the sweep has not deleted yet).
      return run(async () => {
        const { rowCount } = await pool.query(
          `INSERT INTO ${names.proofs} (key, expires_at) VALUES ($1, $2)
           ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at
           WHERE ${names.proofs}.expires_at <= $3`,
          [key, expiresAt, now],
        )
        return rowCount === 1
      })
    },

    // Rate-limit counters in `<tableName>_rate_limits`, created by the migrations and swept with
    // the sessions (the library's own sweeping timer is off).
    // Second factors in `<tableName>_factors`, `_codes` and `_pending` (migration 3).
    factorStore: sharedFactorStore(() =>
      postgresFactorStore(pool, run, transaction, names.schema, table),
    ),

    rateLimiterBackend: sharedBackend(() =>
      postgresRateLimiterBackend(pool, names.schema, names.rateLimits, migrated),
    ),

    // OpenID Connect state in `<tableName>_oidc` (migration 4), swept with the sessions.
    oidcStateStore: once(() => postgresOidcStateStore(pool, names.oidc, run, clock)),

    async close() {
      if (timer) clearInterval(timer)
      await feed.close()
      await settled()
      if (ownsPool) await pool.end()
    },
  }
}
