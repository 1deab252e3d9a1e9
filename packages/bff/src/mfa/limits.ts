/**
 * @module
 * The per-user budget of second-factor failures: 10 wrong codes or assertions per user per 15
 * minutes, across tickets, instances and step-ups, so nobody holding a password (or a session)
 * can grind through the million TOTP codes. Counters live where the rate limits live (the store's
 * `rateLimiterBackend()`); `rateLimit: false` turns this off with the rest.
 * @internal
 */
import type { Context } from 'hono'
import type { RateLimiterAbstract } from 'rate-limiter-flexible'
import { storeUnavailable } from '../errors.js'
import type { BffConfig } from '../options.js'
import { memoryRateLimiterBackend } from '../rate-limit/backend.js'
import { RateLimitedError } from '../rate-limit/limits.js'
import { requestMeta } from '../request-meta.js'

const FAILURES = 10
const WINDOW_SEC = 15 * 60

/** @internal */
export function factorBudget(config: BffConfig) {
  const limiter: RateLimiterAbstract | null = config.rateLimit
    ? (config.store.rateLimiterBackend?.() ?? memoryRateLimiterBackend()).limiter({
        keyPrefix: 'mfa:user',
        points: FAILURES,
        duration: WINDOW_SEC,
      })
    : null
  return {
    /** Refuses with `429` while the user's failures are used up. */
    async check(c: Context, userId: string) {
      if (!limiter) return
      let res
      try {
        res = await limiter.get(userId)
      } catch (error) {
        throw storeUnavailable(error)
      }
      if (res && res.consumedPoints >= FAILURES) {
        const retryAfter = Math.max(1, Math.ceil(res.msBeforeNext / 1000))
        config.emit({
          type: 'rate_limited',
          route: 'mfa',
          key: 'username',
          retryAfter,
          username: null,
          at: config.now(),
          ...requestMeta(config, c),
        })
        throw new RateLimitedError(
          retryAfter,
          'Too many wrong second factors for this account; try again later.',
        )
      }
    },
    /** Counts one failure. */
    async fail(userId: string) {
      await limiter?.penalty(userId).catch((error: unknown) => {
        config.logger.error('[baton] mfa: could not count a failure', error)
      })
    },
  }
}
