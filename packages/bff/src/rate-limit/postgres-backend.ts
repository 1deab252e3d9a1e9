/**
 * @module
 * Rate-limit counters in the PostgreSQL store's database, with `rate-limiter-flexible`'s
 * `RateLimiterPostgres` on the store's own pool: every BFF instance on that database shares one
 * budget.
 * @internal
 */
import { createHash } from 'node:crypto'
import type { Pool, QueryConfig } from 'pg'
import { RateLimiterPostgres } from 'rate-limiter-flexible'
import { afterReady, type RateLimiterBackend } from './backend.js'

/**
 * The store's pool, naming the limiter's prepared statements after the exact schema and table.
 * The library names them after the lower-cased table alone, and a connection refuses one name for
 * two texts: two stores of different schemas on one pool would answer every sign-in 503. A digest
 * also keeps the name within PostgreSQL's 63 bytes, past which two names would be one (a long
 * table's `…:rlflx-upsert` and `…:rlflx-upsert-force`). The library has no option for either.
 */
function namespacedClient(pool: Pool, schema: string, table: string) {
  const rename = (name: string) =>
    `baton_rl_${createHash('sha256').update(`"${schema}"."${table}" ${name}`).digest('hex').slice(0, 32)}`
  return {
    query: (query: QueryConfig) =>
      pool.query(query.name === undefined ? query : { ...query, name: rename(query.name) }),
  }
}

/**
 * @internal Counters in `schema`.`table`, which the store's migrations create (so the library's
 * own table creation is off) and its sweep empties (so is the library's timer). Every call
 * waits for `migrated()` (the attempt in flight, or a new one after a failed one) rather than
 * query a table that is not there yet.
 */
export function postgresRateLimiterBackend(
  pool: Pool,
  schema: string,
  table: string,
  migrated: () => Promise<void>,
): RateLimiterBackend {
  const client = namespacedClient(pool, schema, table)
  return {
    kind: 'postgres',
    limiter: ({ keyPrefix, points, duration }) =>
      afterReady(
        new RateLimiterPostgres({
          storeClient: client,
          storeType: 'pool',
          schemaName: schema,
          tableName: table,
          tableCreated: true,
          clearExpiredByTimeout: false,
          keyPrefix,
          points,
          duration,
        }),
        migrated,
      ),
  }
}
