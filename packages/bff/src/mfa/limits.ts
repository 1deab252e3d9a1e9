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
    /**
     * Takes one of the user's tries before a code is checked, or refuses with `429` when they are
     * used up. Counted first, as the username delay counts sign-ins: a check that only read the
     * count would let a burst of parallel guesses all pass before any of them was counted.
     */
    async take(c: Context, userId: string) {
      if (!limiter) return
      try {
        await limiter.consume(userId)
      } catch (error) {
        // rate-limiter-flexible rejects with a result when the budget is spent, with an Error
        // when its store fails.
        const spent = error as { msBeforeNext?: unknown } | null
        if (error instanceof Error || typeof spent?.msBeforeNext !== 'number') {
          throw storeUnavailable(error)
        }
        const retryAfter = Math.max(1, Math.ceil(spent.msBeforeNext / 1000))
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
    /** Gives a try back: the code was right, or it was never judged. */
    async giveBack(userId: string) {
      await limiter?.reward(userId).catch((error: unknown) => {
        config.logger.error('[baton] mfa: could not give a try back', error)
      })
    },
  }
}
