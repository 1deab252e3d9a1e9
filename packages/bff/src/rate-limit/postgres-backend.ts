/**
 * @module
 * Rate-limit counters in the PostgreSQL store's database, with `rate-limiter-flexible`'s
 * `RateLimiterPostgres` on the store's own pool: every BFF instance on that database shares one
 * budget.
 * @internal
 */
import type { Pool } from 'pg'
import { RateLimiterPostgres } from 'rate-limiter-flexible'
import { afterReady, type RateLimiterBackend } from './backend.js'

/**
 * @internal Counters in `schema`.`table`, which the store's migrations create (so the library's
 * own table creation is off) and its sweep empties (so is the library's timer). A first request
 * waits for `migrated` rather than query a table that is not there yet.
 */
export function postgresRateLimiterBackend(
  pool: Pool,
  schema: string,
  table: string,
  migrated: Promise<void>,
): RateLimiterBackend {
  return {
    kind: 'postgres',
    limiter: ({ keyPrefix, points, duration }) =>
      afterReady(
        new RateLimiterPostgres({
          storeClient: pool,
          storeType: 'pool',
          schemaName: schema,
          tableName: table,
          tableCreated: true,
          clearExpiredByTimeout: false,
          keyPrefix,
          points,
          duration,
        }),
        () => migrated,
      ),
  }
}
