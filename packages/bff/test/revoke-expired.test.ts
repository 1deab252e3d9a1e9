/**
 * Every store keeps a session five minutes past its deadline, so that a late refresh is answered
 * `401 session_expired`. A revocation by id of such a session (`bff.admin.revokeSession`, a
 * back-channel logout) ends nothing: it answers `false`, reports nothing, and the refresh still
 * hears `session_expired` with its `expired` event.
 */
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { memoryStore } from '../src/stores/memory.js'
import { redisStore } from '../src/stores/redis.js'
import { sqliteStore } from '../src/stores/sqlite.js'
import { postgresStore } from '../src/stores/postgres.js'
import { dropSchema, POSTGRES_URL, postgresAvailable, uniqueSchema } from './postgres-helpers.js'
import type { SessionStore } from '../src/stores/types.js'
import { deleteKeys, REDIS_URL, redisAvailable, uniquePrefix } from './redis-helpers.js'
import { createHarness } from './helpers.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

interface Subject {
  store: SessionStore
  sweep: (() => Promise<unknown>) | null
}

const stores: Array<[string, boolean, () => Promise<Subject>]> = [
  [
    'memory',
    true,
    async () => {
      const store = memoryStore({ sweepInterval: 0 })
      cleanups.push(() => store.close())
      return { store, sweep: async () => store.sweep() }
    },
  ],
  [
    'sqlite',
    true,
    async () => {
      const store = sqliteStore({ path: ':memory:', sweepInterval: 0 })
      cleanups.push(() => store.close())
      return { store, sweep: async () => store.sweep() }
    },
  ],
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
      return { store, sweep: null }
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
      return { store, sweep: async () => store.sweep() }
    },
  ],
]

describe.each(stores)('review4 expired retention: %s', (_name, available, make) => {
  it.skipIf(!available)(
    'admin.revokeSession of a session already past its idle deadline ends nothing; its refresh still hears session_expired',
    async () => {
      const { store, sweep } = await make()
      const h = await createHarness({ store, now: () => Date.now(), idleTimeout: 1_000 })
      const login = await h.login('alice')
      await sleep(2_000)
      await sweep?.()
      const ended = await h.bff.admin.revokeSession(login.body.sessionId)
      const res = await h.refresh(login.cookie)
      expect({
        ended,
        revokedEvents: h.eventsOf('revoked').length,
        status: res.status,
        code: ((await res.json()) as { error: { code: string } }).error.code,
        expired: h.eventsOf('expired').map((event) => event.reason),
      }).toStrictEqual({
        ended: false,
        revokedEvents: 0,
        status: 401,
        code: 'session_expired',
        expired: ['idle'],
      })
    },
    10_000,
  )
})
