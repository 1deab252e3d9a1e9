/**
 * Every built-in session store, for a suite that must hold on each: memory and SQLite always,
 * Redis and PostgreSQL when they answer (`available`). Each `make()` gives a fresh store (its own
 * key prefix or schema), closed and cleaned up after the test that made it.
 */
import { Redis } from 'ioredis'
import { afterEach } from 'vitest'
import { memoryStore } from '../src/stores/memory.js'
import { postgresStore } from '../src/stores/postgres.js'
import { redisStore } from '../src/stores/redis.js'
import { sqliteStore } from '../src/stores/sqlite.js'
import type { SessionStore } from '../src/stores/types.js'
import { dropSchema, POSTGRES_URL, postgresAvailable, uniqueSchema } from './postgres-helpers.js'
import { deleteKeys, REDIS_URL, redisAvailable, uniquePrefix } from './redis-helpers.js'

/** `[name, available, make]`, as `describe.each` takes them; registers the cleanup in the caller. */
export function everyStore(): Array<[string, boolean, () => Promise<SessionStore>]> {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup()
  })
  return [
    ['memory', true, async () => memoryStore({ sweepInterval: 0 })],
    ['sqlite', true, async () => sqliteStore({ path: ':memory:', sweepInterval: 0 })],
    [
      'redis',
      redisAvailable,
      async () => {
        const prefix = uniquePrefix()
        const store = redisStore({ redis: REDIS_URL, keyPrefix: prefix })
        cleanups.push(async () => {
          await store.close()
          const client = new Redis(REDIS_URL)
          await deleteKeys(client, prefix)
          client.disconnect()
        })
        return store
      },
    ],
    [
      'postgres',
      postgresAvailable,
      async () => {
        const schema = uniqueSchema()
        const store = postgresStore({ pool: POSTGRES_URL, schema, sweepInterval: 0 })
        await store.ready()
        cleanups.push(async () => {
          await store.close()
          await dropSchema(schema)
        })
        return store
      },
    ],
  ]
}

/** The store's own sweep, where it has one (`null` for Redis, whose keys expire by themselves). */
export function sweepOf(store: SessionStore): (() => Promise<unknown>) | null {
  const { sweep } = store as { sweep?: () => Promise<unknown> }
  return typeof sweep === 'function' ? () => sweep.call(store) : null
}
