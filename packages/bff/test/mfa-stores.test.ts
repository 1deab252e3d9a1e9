/**
 * The `FactorStore` contract on every built-in store: memory, SQLite, Redis, Redis Cluster and
 * PostgreSQL, and the Redis store's `waitForReplicas` on its factor writes. The shared backends
 * skip with a printed reason when they are not running.
 */
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { memoryStore } from '../src/stores/memory.js'
import { postgresStore } from '../src/stores/postgres.js'
import { redisStore } from '../src/stores/redis.js'
import { sqliteStore } from '../src/stores/sqlite.js'
import type { FactorStore } from '../src/mfa/types.js'
import type { SessionStore } from '../src/stores/types.js'
import { describeFactorStoreContract, passkeyFactor, totpFactor } from './mfa-store-contract.js'
import { dropSchema, POSTGRES_URL, postgresAvailable, uniqueSchema } from './postgres-helpers.js'
import {
  redisClusterBinaries,
  startRedisCluster,
  type RedisClusterUnderTest,
} from './redis-cluster-helpers.js'
import { deleteKeys, REDIS_URL, redisAvailable, uniquePrefix } from './redis-helpers.js'

const factorsOf = (store: SessionStore) => {
  const factors = store.factorStore?.()
  if (!factors) throw new Error('the store has no factorStore()')
  return factors
}

describeFactorStoreContract('memory', async () => {
  const store = memoryStore({ sweepInterval: 0 })
  return { store: factorsOf(store), cleanup: () => store.close() }
})

describeFactorStoreContract('sqlite', async () => {
  const store = sqliteStore({ path: ':memory:', sweepInterval: 0 })
  return { store: factorsOf(store), cleanup: () => store.close() }
})

describe.skipIf(!redisAvailable)('redis', () => {
  let admin: Redis
  beforeAll(() => {
    admin = new Redis(REDIS_URL)
  })
  afterAll(() => {
    admin.disconnect()
  })
  describeFactorStoreContract('redis', async () => {
    const prefix = uniquePrefix()
    const store = redisStore({ redis: REDIS_URL, keyPrefix: prefix })
    return {
      store: factorsOf(store),
      cleanup: async () => {
        await deleteKeys(admin, prefix)
        await store.close()
      },
    }
  })

  // The test Redis has no replica, so no write can be confirmed: each one that wrote must answer
  // 503, like the session writes, or a failover could bring back a removed factor or a spent code.
  describe('with waitForReplicas and no replica', () => {
    const unavailable = { status: 503, code: 'store_unavailable' }
    const now = Date.now()
    let prefix: string
    let plain: SessionStore
    let waiting: SessionStore
    beforeEach(async () => {
      prefix = uniquePrefix()
      plain = redisStore({ redis: REDIS_URL, keyPrefix: prefix })
      waiting = redisStore({
        redis: REDIS_URL,
        keyPrefix: prefix,
        waitForReplicas: { replicas: 1, timeout: '20ms' },
      })
      // What the writes below change, written without waiting.
      const setup = factorsOf(plain)
      await setup.createFactor(totpFactor('u', 'totp'), now)
      await setup.createFactor(passkeyFactor('u', 'passkey'), now)
      await setup.replaceRecoveryCodes('u', ['h1'], now)
      await setup.putPending('p', 'value', now + 60_000, now)
    })
    afterEach(async () => {
      await Promise.all([plain.close(), waiting.close()])
      await deleteKeys(admin, prefix)
    })

    it.each([
      ['createFactor', (f: FactorStore) => f.createFactor(totpFactor('u', 'new'), now)],
      ['deleteFactor', (f: FactorStore) => f.deleteFactor('u', 'totp')],
      ['acceptTotpStep', (f: FactorStore) => f.acceptTotpStep('u', 'totp', 5, now, true)],
      ['recordPasskeyUse', (f: FactorStore) => f.recordPasskeyUse('u', 'passkey', 1, false, now)],
      ['replaceRecoveryCodes', (f: FactorStore) => f.replaceRecoveryCodes('u', ['h2'], now)],
      ['useRecoveryCode', (f: FactorStore) => f.useRecoveryCode('u', 'h1', now)],
      ['putPending', (f: FactorStore) => f.putPending('q', 'value', now + 60_000, now)],
      ['takePending', (f: FactorStore) => f.takePending('p', now)],
      ['failPending', (f: FactorStore) => f.failPending('p', now)],
    ])('%s answers 503 store_unavailable', async (_, write) => {
      await expect(write(factorsOf(waiting))).rejects.toMatchObject(unavailable)
    })

    it('reads, and writes that changed nothing, answer without waiting', async () => {
      const factors = factorsOf(waiting)
      expect((await factors.listFactors('u')).map((f) => f.id)).toStrictEqual(['totp', 'passkey'])
      expect(await factors.countRecoveryCodes('u')).toBe(1)
      expect(await factors.getPending('p', now)).toBe('value')
      expect(await factors.useRecoveryCode('u', 'unknown', now)).toBe(false)
      expect(await factors.deleteFactor('u', 'unknown')).toBe(false)
      expect(await factors.takePending('unknown', now)).toBeNull()
    })
  })
})

const binaries = redisClusterBinaries()

describe.skipIf(binaries === null)('redis cluster', () => {
  let cluster: RedisClusterUnderTest
  beforeAll(async () => {
    cluster = await startRedisCluster(binaries!)
  }, 60_000)
  afterAll(async () => {
    await cluster?.stop()
  })
  // Each test has its own prefix on a cluster that is thrown away afterwards.
  describeFactorStoreContract('redis cluster', async () => {
    const store = redisStore({ redis: { cluster: [...cluster.nodes] }, keyPrefix: uniquePrefix() })
    return { store: factorsOf(store), cleanup: () => store.close() }
  })
})

describe.skipIf(!postgresAvailable)('postgres', () => {
  describeFactorStoreContract('postgres', async () => {
    const schema = uniqueSchema()
    const store = postgresStore({ pool: POSTGRES_URL, schema, sweepInterval: 0 })
    await store.ready()
    return {
      store: factorsOf(store),
      cleanup: async () => {
        await store.close()
        await dropSchema(schema)
      },
    }
  })
})
