/**
 * @module
 * `redisOidcStateStore()`: the {@link OidcStateStore} for several BFF instances, on an ioredis
 * client the application owns (the same one as `redisStore()` is fine).
 */
import type { Cluster, Redis } from 'ioredis'
import type { OidcStateStore } from './state-store.js'

/** Options of {@link redisOidcStateStore}. */
export interface RedisOidcStateStoreOptions {
  /** The client. It stays yours: the store never closes it. */
  redis: Redis | Cluster
  /**
   * Prefix of every key. Give each application (and each test run) its own.
   * @default 'baton:oidc:'
   */
  keyPrefix?: string
}

// A lease is released by its holder only: a holder whose lease expired must not delete the next
// holder's (the classic Redis lock rule, compare-and-delete in one script).
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`

// SADD, then lengthen the set's life, never shorten it (another session's entry may need longer).
const ADD_MEMBER = `redis.call('SADD', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`

const ttl = (ms: number) => Math.max(1, Math.ceil(ms))

/**
 * An {@link OidcStateStore} in Redis: `claim` is `SET NX PX`, so single use and the refresh lease
 * hold across every instance; keys expire by themselves.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * import { redisStore } from '@baton/bff/stores/redis'
 * import { oidcLogin, redisOidcStateStore } from '@baton/bff/oidc'
 *
 * const redis = new Redis(process.env.REDIS_URL!)
 * const store = redisStore({ redis })
 * const oidc = oidcLogin({ ...provider, stateStore: redisOidcStateStore({ redis }) })
 * ```
 */
export function redisOidcStateStore(options: RedisOidcStateStoreOptions): OidcStateStore {
  const { redis } = options
  if (typeof redis !== 'object' || redis === null || typeof redis.set !== 'function') {
    throw new TypeError('redisOidcStateStore: redis must be an ioredis client')
  }
  const prefix = options.keyPrefix ?? 'baton:oidc:'
  if (typeof prefix !== 'string')
    throw new TypeError('redisOidcStateStore: keyPrefix must be a string')
  const k = (key: string) => prefix + key

  return {
    async set(key, value, ttlMs) {
      await redis.set(k(key), value, 'PX', ttl(ttlMs))
    },
    async get(key) {
      return redis.get(k(key))
    },
    async delete(key) {
      await redis.del(k(key))
    },
    async claim(key, value, ttlMs) {
      return (await redis.set(k(key), value, 'PX', ttl(ttlMs), 'NX')) === 'OK'
    },
    async release(key, value) {
      await redis.eval(RELEASE, 1, k(key), value)
    },
    async addMember(key, member, ttlMs) {
      await redis.eval(ADD_MEMBER, 1, k(key), member, String(ttl(ttlMs)))
    },
    async members(key) {
      return redis.smembers(k(key))
    },
  }
}
