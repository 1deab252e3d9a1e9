/**
 * The `OidcStateStore` contract, for the memory and Redis implementations: single use through
 * `claim`, leases released by their holder only, sets that keep their longest lifetime.
 */
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import {
  memoryOidcStateStore,
  redisOidcStateStore,
  type OidcStateStore,
} from '../src/oidc/index.js'
import { REDIS_URL, deleteKeys, redisAvailable, uniquePrefix } from './redis-helpers.js'

function contract(name: string, make: () => OidcStateStore, wait: (ms: number) => Promise<void>) {
  describe(name, () => {
    it('set, get, delete', async () => {
      const store = make()
      await store.set('k', 'v', 10_000)
      expect(await store.get('k')).toBe('v')
      await store.delete('k')
      expect(await store.get('k')).toBeNull()
    })

    it('claim: of concurrent callers exactly one wins', async () => {
      const store = make()
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.claim('once', String(i), 10_000)),
      )
      expect(results.filter(Boolean)).toHaveLength(1)
    })

    it('release: only the holder frees the lease', async () => {
      const store = make()
      expect(await store.claim('lease', 'a', 10_000)).toBe(true)
      await store.release('lease', 'b')
      expect(await store.claim('lease', 'b', 10_000)).toBe(false)
      await store.release('lease', 'a')
      expect(await store.claim('lease', 'b', 10_000)).toBe(true)
    })

    it('keys expire', async () => {
      const store = make()
      await store.set('short', 'v', 50)
      expect(await store.claim('gone', 'v', 50)).toBe(true)
      await wait(80)
      expect(await store.get('short')).toBeNull()
      expect(await store.claim('gone', 'w', 50)).toBe(true)
    })

    it('sets: members accumulate, and the longest lifetime is kept', async () => {
      const store = make()
      await store.addMember('set', 'a', 10_000)
      await store.addMember('set', 'b', 50)
      await wait(80)
      expect((await store.members('set')).sort()).toEqual(['a', 'b'])
      expect(await store.members('absent')).toEqual([])
    })
  })
}

let clock = 0
contract(
  'memoryOidcStateStore',
  () => memoryOidcStateStore({ now: () => clock }),
  async (ms) => {
    clock += ms
  },
)

describe.skipIf(!redisAvailable)('redis', () => {
  const redis = redisAvailable ? new Redis(REDIS_URL) : null
  const prefix = uniquePrefix()
  afterAll(async () => {
    if (!redis) return
    await deleteKeys(redis, prefix)
    redis.disconnect()
  })
  let n = 0
  contract(
    'redisOidcStateStore',
    () => redisOidcStateStore({ redis: redis!, keyPrefix: `${prefix}${n++}:` }),
    (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  )
})
