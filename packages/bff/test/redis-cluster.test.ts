/**
 * The Redis store on a real Redis Cluster (three masters started for this file on loopback ports):
 * the whole store contract, revocations crossing two stores through cluster pub/sub, keys spread
 * over the nodes, and what a single key per script buys (no CROSSSLOT anywhere).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisStore } from '../src/stores/redis.js'
import {
  redisClusterBinaries,
  startRedisCluster,
  type RedisClusterUnderTest,
} from './redis-cluster-helpers.js'
import { uniquePrefix } from './redis-helpers.js'
import { describeSessionStoreContract, sessionRecord } from './store-contract.js'

const binaries = redisClusterBinaries()

describe.skipIf(binaries === null)('redisStore on a Redis Cluster', () => {
  let cluster: RedisClusterUnderTest

  beforeAll(async () => {
    cluster = await startRedisCluster(binaries!)
  }, 60_000)
  afterAll(async () => {
    await cluster?.stop()
  })

  // Each test has its own prefix on a cluster that is thrown away afterwards.
  describeSessionStoreContract('redis cluster', async () => {
    const store = redisStore({ redis: { cluster: [...cluster.nodes] }, keyPrefix: uniquePrefix() })
    return {
      store,
      cleanup: () => store.close(),
      forgetExpired: async (now) => {
        const wait = now - Date.now() + 20
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      },
    }
  })

  it('spreads sessions over the masters and lists and revokes them across slots', async () => {
    const prefix = uniquePrefix()
    const store = redisStore({ redis: { cluster: [...cluster.nodes] }, keyPrefix: prefix })
    const admin = cluster.client()
    try {
      const now = Date.now()
      const sessions = Array.from({ length: 30 }, (_, i) => ({
        ...sessionRecord('spread-user', now),
        id: `spread-${i}`,
      }))
      for (const session of sessions) await store.create(session, now)
      const owners = new Set(
        await Promise.all(
          sessions.map(async (session) => {
            const slot = await admin.cluster('KEYSLOT', store.keys.session(session.id))
            const shards = await admin.cluster('SLOTS')
            return shards.find(([from, to]) => slot >= from && slot <= to)![2]![1]
          }),
        ),
      )
      expect(owners.size).toBe(3)
      expect((await store.listByUser('spread-user', now)).map((s) => s.id).sort()).toStrictEqual(
        sessions.map((s) => s.id).sort(),
      )
      const revoked = await store.revokeByUser('spread-user', 'logout_everywhere', now)
      expect(revoked).toHaveLength(30)
      expect(await store.listByUser('spread-user', now)).toStrictEqual([])
    } finally {
      await store.close()
      admin.disconnect()
    }
  })

  it('tells a second store on the cluster about revocations and the epoch through pub/sub', async () => {
    const prefix = uniquePrefix()
    const writer = redisStore({ redis: { cluster: [...cluster.nodes] }, keyPrefix: prefix })
    const reader = redisStore({ redis: { cluster: [...cluster.nodes] }, keyPrefix: prefix })
    try {
      const heard: string[] = []
      const epochs: number[] = []
      reader.subscribeRevocations((ids) => heard.push(...ids))
      reader.subscribeRevocationEpoch((epoch) => epochs.push(epoch))
      const now = Date.now()
      const session = sessionRecord('pubsub-user', now)
      await writer.create(session, now)
      // The subscriber connects on the first subscription; the replay covers a publish before it.
      await writer.revoke(session.id, 'revoked', now)
      await writer.raiseRevocationEpoch(now)
      const deadline = Date.now() + 5_000
      while ((!heard.includes(session.id) || !epochs.includes(now)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      expect(heard).toContain(session.id)
      expect(epochs).toContain(now)
    } finally {
      await Promise.all([writer.close(), reader.close()])
    }
  })
})
