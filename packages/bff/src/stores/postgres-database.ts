/**
 * @module
 * The PostgreSQL store's database: its pool (given, or made with fail-fast timeouts), the schema
 * brought up to date once at start, and the two ways the store runs SQL: one statement once the
 * schema is ready, or a transaction on one connection.
 * @internal
 */
import pg from 'pg'
import type { Pool, PoolClient, PoolConfig } from 'pg'
import { storeUnavailable } from '../errors.js'
import { migrate, type PostgresNames } from './postgres-schema.js'

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

  const migrated = (async () => {
    const client = await pool.connect()
    try {
      await migrate(client, names, table)
    } finally {
      client.release()
    }
  })()
  // Surfaced by the first operation (as store_unavailable) and by ready(); never unhandled.
  migrated.catch(() => {})

  /** Runs `operation` once the schema is ready; any failure is the store being unavailable. */
  async function run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      await migrated
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

  return { pool, ownsPool, migrated, run, transaction }
}
