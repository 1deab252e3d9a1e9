/**
 * @module
 * The audit event of the rate limits, part of `BffEvent`.
 */
import type { EventBase } from '../events.js'
import type { RateLimitedRoute } from './options.js'

/**
 * A request was refused with `429 rate_limited` (see `RateLimitOptions`). `key` says which budget
 * was spent: the client IP's for `route`, the username's from this network (the progressive
 * delay), or the cap on concurrent `authenticate` calls. Never carries the password.
 */
export interface RateLimitedEvent extends EventBase {
  type: 'rate_limited'
  route: RateLimitedRoute
  key: 'ip' | 'username' | 'concurrency'
  /** Seconds until the request may be tried again (the `Retry-After` header). */
  retryAfter: number
  /** The username tried, once the body was read (`key` `username` and `concurrency`); else `null`. */
  username: string | null
}
