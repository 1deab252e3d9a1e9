/**
 * The shared store contract (`store-contract.ts`) against every store: memory, SQLite (a temporary
 * file) and Redis (a unique key prefix per test, deleted afterwards).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe } from 'vitest'
import { memoryStore } from '../src/stores/memory.js'
import { EXPIRED_SESSION_RETENTION_MS } from '../src/stores/types.js'
import { redisStore } from '../src/stores/redis.js'
import { sqliteStore } from '../src/stores/sqlite.js'
import { REDIS_URL, deleteKeys, redisAvailable, uniquePrefix } from './redis-helpers.js'
import { describeSessionStoreContract } from './store-contract.js'

describeSessionStoreContract('memory', async () => {
  const store = memoryStore({ sweepInterval: 0 })
  return {
    store,
    cleanup: () => store.close(),
    // Records outlive their deadline by the retention (store-idle-deadline.test.ts pins it).
    forgetExpired: async (now) => {
      store.sweep(now + EXPIRED_SESSION_RETENTION_MS)
    },
  }
})

describe('sqlite', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-sqlite-'))
  })
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  describeSessionStoreContract('sqlite', async () => {
    const path = join(dir, `${Math.random().toString(36).slice(2)}.db`)
    const store = sqliteStore({ path, sweepInterval: 0 })
    return {
      store,
      cleanup: () => store.close(),
      forgetExpired: async (now) => {
        store.sweep(now + EXPIRED_SESSION_RETENTION_MS)
      },
    }
  })
})

describe.skipIf(!redisAvailable)('redis', () => {
  let admin: Redis
  beforeAll(() => {
    admin = new Redis(REDIS_URL)
  })
  afterAll(async () => {
    await admin.quit()
  })

  describeSessionStoreContract('redis', async () => {
    const prefix = uniquePrefix()
    // Keys expire on Redis's own clock: without the retention, so the test need not wait it out.
    const store = redisStore({ redis: REDIS_URL, keyPrefix: prefix, expiredRetention: 0 })
    return {
      store,
      cleanup: async () => {
        await store.close()
        await deleteKeys(admin, prefix)
      },
      // Redis expires keys on its own clock: wait until the deadlines are behind us.
      forgetExpired: async (now) => {
        const wait = now - Date.now() + 20
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      },
    }
  })
})
