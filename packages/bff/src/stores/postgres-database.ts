/**
 * @module
 * The PostgreSQL store's database: its pool (given, or made with fail-fast timeouts), the schema
 * brought up to date at start (and again on a later operation if that failed), and the two ways
 * the store runs SQL: one statement once the schema is ready, or a transaction on one connection.
 * @internal
 */
import pg from 'pg'
import type { Pool, PoolClient, PoolConfig } from 'pg'
import { storeUnavailable } from '../errors.js'
import { migrate, type PostgresNames } from './postgres-schema.js'

/** How long after a failed migration the next operation may try again. */
const MIGRATION_RETRY_MS = 1_000

/** Duck-typed, because `instanceof` fails across copies of `pg`. */
const isPool = (value: Pool | PoolConfig | string): value is Pool =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Pool).connect === 'function' &&
  'totalCount' in value

/** @internal The store's pool, its migrations, and how it runs SQL. */
export function postgresDatabase(
  source: Pool | PoolConfig | string,
  { timeout, names, table }: { timeout: number; names: PostgresNames; table: string },
) {
  const ownsPool = !isPool(source)
  const pool: Pool = isPool(source)
    ? source
    : new pg.Pool({
        connectionTimeoutMillis: timeout,
        query_timeout: timeout,
        ...(typeof source === 'string' ? { connectionString: source } : source),
      })
  // An idle client's error (the server restarted) must not crash the process; the next query
  // reconnects or fails as store_unavailable.
  if (ownsPool) pool.on('error', () => {})

  let failedAt: number | null = null
  const attempt = () => {
    const current = (async () => {
      const client = await pool.connect()
      try {
        await migrate(client, names, table)
      } finally {
        client.release()
      }
    })()
    // Surfaced by the operations that wait for it (as store_unavailable) and by ready(); never
    // unhandled. Registered first, so a caller seeing the rejection sees `failedAt` set.
    current.catch(() => {
      failedAt = performance.now()
    })
    return current
  }
  let migration = attempt()

  /**
   * The schema's readiness: the attempt in flight or the one that succeeded, or, once the last one
   * failed at least {@link MIGRATION_RETRY_MS} ago, a new one. An instance started while the
   * database was down serves as soon as it is back, without a restart; a database that stays down
   * costs one connection attempt a second, however many requests fail meanwhile.
   */
  function migrated(): Promise<void> {
    if (failedAt !== null && performance.now() - failedAt >= MIGRATION_RETRY_MS) {
      failedAt = null
      migration = attempt()
    }
    return migration
  }

  /** The latest attempt settled, without starting another (for close()). */
  const settled = () => migration.catch(() => {})

  /** Runs `operation` once the schema is ready; any failure is the store being unavailable. */
  async function run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      await migrated()
      return await operation()
    } catch (error) {
      throw storeUnavailable(error)
    }
  }

  /** `work` in one transaction on one client; its `pg_notify`s are delivered at commit. */
  async function transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }

  return { pool, ownsPool, migrated, settled, run, transaction }
}
