/**
 * @module
 * Rate-limit counters in the Redis store's Redis, with `rate-limiter-flexible`'s `RateLimiterRedis`
 * on the store's own ioredis client: every BFF instance on that Redis shares one budget.
 * @internal
 */
import { RateLimiterRedis } from 'rate-limiter-flexible'
import type { RedisConnection } from '../stores/redis-connection.js'
import { afterReady, type RateLimiterBackend } from './backend.js'

/**
 * @internal Counters under `<keyPrefix>rl:<budget>:<key>`, each key expiring with its window. Every
 * call first waits for the connection as the store's own commands do: up to the store's `timeout`
 * while it connects, failing at once while it is known to be down.
 */
export function redisRateLimiterBackend(
  connection: Pick<RedisConnection, 'client' | 'ensureReady'>,
  keyPrefix: string,
): RateLimiterBackend {
  return {
    kind: 'redis',
    limiter(spec) {
      const limiter = new RateLimiterRedis({
        storeClient: connection.client,
        ...spec,
        keyPrefix: `${keyPrefix}rl:${spec.keyPrefix}`,
      })
      return afterReady(limiter, () => connection.ensureReady())
    },
  }
}
