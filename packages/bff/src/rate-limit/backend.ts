/**
 * @module
 * The seam between rate limits and session stores: counters live where the sessions live, so a
 * store names the `rate-limiter-flexible` limiter that keeps them next to its own data.
 */
// @ts-expect-error -- the file has no declarations of its own; typed just below as the root does.
import RateLimiterMemoryFile from 'rate-limiter-flexible/lib/RateLimiterMemory.js'
import type {
  RateLimiterAbstract,
  RateLimiterMemory as RateLimiterMemoryClass,
} from 'rate-limiter-flexible'

// The package's root module requires `node:cluster` when it loads, which edge runtimes lack; the
// core imports the memory limiter's own (CommonJS) file, whose export is the class.
const RateLimiterMemory = RateLimiterMemoryFile as typeof RateLimiterMemoryClass

/** What the BFF asks a {@link RateLimiterBackend} for: one named budget. */
export interface RateLimiterSpec {
  /** Distinguishes this budget's keys from every other budget's (`'login'`, `'username'`, …). */
  keyPrefix: string
  /** Points per window. */
  points: number
  /** The window, in seconds. */
  duration: number
}

/**
 * Where a store keeps rate-limit counters: a factory of `rate-limiter-flexible` limiters on the
 * store's own backend (`RateLimiterMemory`, `RateLimiterSQLite` on the same database,
 * `RateLimiterRedis` on the same client). A custom store returns any `RateLimiterAbstract`, for
 * example `RateLimiterPostgres` on its pool.
 *
 * @example
 * ```ts
 * import { RateLimiterPostgres } from 'rate-limiter-flexible'
 *
 * const store: SessionStore = {
 *   ...myPostgresStore,
 *   rateLimiterBackend: () => ({
 *     kind: 'postgres',
 *     limiter: ({ keyPrefix, points, duration }) =>
 *       new RateLimiterPostgres({ storeClient: pool, tableName: 'rate_limits', keyPrefix, points, duration }),
 *   }),
 * }
 * ```
 */
export interface RateLimiterBackend {
  /** A name for logs: `'memory'`, `'sqlite'`, `'redis'`, … */
  readonly kind: string
  /** A limiter for one budget; called once per budget when the BFF starts. */
  limiter(spec: RateLimiterSpec): RateLimiterAbstract
}

/**
 * Counters in this process: right for the memory store, and the fallback for a store without
 * `rateLimiterBackend()`. Limiters are kept per budget, so several BFFs sharing one memory store
 * share one budget, as they share the sessions.
 */
export function memoryRateLimiterBackend(): RateLimiterBackend {
  const limiters = new Map<string, RateLimiterAbstract>()
  return {
    kind: 'memory',
    limiter(spec) {
      const id = `${spec.keyPrefix}|${spec.points}|${spec.duration}`
      let limiter = limiters.get(id)
      if (!limiter) limiters.set(id, (limiter = new RateLimiterMemory(spec)))
      return limiter
    },
  }
}

/**
 * @internal A store's `rateLimiterBackend` method: the backend is made on the first call and then
 * shared, so every BFF on one store instance counts in the same limiters.
 */
export function sharedBackend(make: () => RateLimiterBackend): () => RateLimiterBackend {
  let backend: RateLimiterBackend | undefined
  return () => (backend ??= make())
}

const LIMITER_METHODS = ['consume', 'penalty', 'reward', 'get', 'set', 'block', 'delete'] as const

/**
 * @internal `limiter`, each of whose calls first awaits `ready()`: the store's connection or
 * schema, so the counters fail (or wait) exactly as the store's own operations do.
 */
export function afterReady<T extends RateLimiterAbstract>(
  limiter: T,
  ready: () => Promise<unknown>,
): T {
  for (const method of LIMITER_METHODS) {
    const run = limiter[method].bind(limiter) as (...args: unknown[]) => Promise<unknown>
    Object.assign(limiter, {
      [method]: async (...args: unknown[]) => {
        await ready()
        return run(...args)
      },
    })
  }
  return limiter
}
