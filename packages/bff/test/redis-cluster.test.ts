/**
 * The Redis store on a real Redis Cluster (three masters started for this file on loopback ports):
 * the whole store contract, revocations crossing two stores through cluster pub/sub, keys spread
 * over the nodes, what a single key per script buys (no CROSSSLOT anywhere), and the replay after
 * the cluster's subscriber connection was replaced.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
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
    // Keys expire on Redis's own clock: without the retention, so the test need not wait it out.
    const store = redisStore({
      redis: { cluster: [...cluster.nodes] },
      keyPrefix: uniquePrefix(),
      expiredRetention: 0,
    })
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

  // Before, the store replayed recent revocations only on the Cluster's 'ready', which ioredis does
  // not emit again when its ClusterSubscriber replaces a dropped subscriber connection (it
  // resubscribes by itself): a revocation published during the gap was lost for good on a cluster,
  // though a standalone store replays it (redis-store.test.ts, "catches up on revocations published
  // while its subscriber was disconnected").
  it('replays a revocation published while its cluster subscriber connection was down', async () => {
    const prefix = uniquePrefix()
    const writer = redisStore({ redis: { cluster: [...cluster.nodes] }, keyPrefix: prefix })
    const reader = redisStore({ redis: { cluster: [...cluster.nodes] }, keyPrefix: prefix })
    const nodes = cluster.nodes.map((node) => new Redis({ ...node, lazyConnect: false }))
    try {
      const heard = new Set<string>()
      reader.subscribeRevocations((ids) => ids.forEach((id) => heard.add(id)))
      const now = Date.now()
      const [lost, later] = [sessionRecord('gap-user', now), sessionRecord('gap-user', now)]
      await writer.create(lost, now)
      await writer.create(later, now)

      // The node that holds the reader's subscription (PUBSUB NUMSUB is per node).
      const subscribedNode = async () => {
        for (const node of nodes) {
          const [, count] = (await node.pubsub('NUMSUB', reader.keys.channel)) as [string, number]
          if (count > 0) return node
        }
        return null
      }
      let holder: Redis | null = null
      await vi.waitFor(async () => {
        holder = await subscribedNode()
        expect(holder).not.toBeNull()
      })

      // The writer's publish of `lost` runs in one transaction with the drop of every pub/sub
      // connection on the subscriber's node: the message goes out while the reader's subscriber is
      // down, like a network blip. The id is in the replay set first.
      const spy = vi
        .spyOn(writer.client, 'publish')
        .mockImplementationOnce(async (channel: unknown, message: unknown) => {
          const results = await holder!
            .multi()
            .client('KILL', 'TYPE', 'pubsub')
            .publish(String(channel), String(message))
            .exec()
          return results![1]![1] as number
        })
      await writer.revoke(lost.id, 'revoked', now)
      spy.mockRestore()
      expect(await writer.client.zscore(writer.keys.revoked, lost.id)).not.toBeNull()

      // ioredis reconnects the reader's subscriber by itself; a later revocation reaches it, and
      // the one published during the gap arrives through the replay.
      await vi.waitFor(async () => expect(await subscribedNode()).not.toBeNull(), {
        timeout: 5_000,
      })
      await writer.revoke(later.id, 'revoked', now)
      await vi.waitFor(() => expect([...heard].sort()).toStrictEqual([lost.id, later.id].sort()), {
        timeout: 5_000,
      })
    } finally {
      await Promise.all([writer.close(), reader.close()])
      nodes.forEach((node) => node.disconnect())
    }
  }, 30_000)
})
