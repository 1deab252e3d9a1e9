/**
 * The `FactorStore` contract on every built-in store: memory, SQLite, Redis, Redis Cluster and
 * PostgreSQL. The shared backends skip with a printed reason when they are not running.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe } from 'vitest'
import { memoryStore } from '../src/stores/memory.js'
import { postgresStore } from '../src/stores/postgres.js'
import { redisStore } from '../src/stores/redis.js'
import { sqliteStore } from '../src/stores/sqlite.js'
import type { SessionStore } from '../src/stores/types.js'
import { describeFactorStoreContract } from './mfa-store-contract.js'
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
