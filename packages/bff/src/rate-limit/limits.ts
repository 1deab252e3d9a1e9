/**
 * @module
 * The rate limits at run time: per-IP budgets on the cookie routes, the progressive delay per
 * username and network, and the cap on concurrent `authenticate` calls. Over a limit the answer is
 * `429 rate_limited` with `Retry-After` and a `rate_limited` event; a counter store that cannot be
 * reached answers `503 store_unavailable`, never "allowed": an unlimited password oracle while
 * Redis is down is worse than a sign-in that waits for it.
 * @internal
 */
import type { BaseUser, RateLimitedErrorBody } from '@baton/protocol'
import type { Context, MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { RateLimiterAbstract } from 'rate-limiter-flexible'
import { BffError, isBffError, storeUnavailable } from '../errors.js'
import type { RateLimitedEvent } from './events.js'
import type { BffConfig, Credentials } from '../options.js'
import { requestMeta } from '../request-meta.js'
import { memoryRateLimiterBackend, type RateLimiterBackend } from './backend.js'
import { clientKey } from './ip.js'
import type { RateLimitedRoute } from './options.js'
import { semaphore, SemaphoreRefused } from './semaphore.js'
import { usernameDelay, type CountedAttempt } from './username-delay.js'

/**
 * `429 rate_limited`: the body is `RateLimitedErrorBody` of `@baton/protocol`, whose `retryAfter`
 * (seconds) repeats the `Retry-After` header.
 */
export class RateLimitedError extends BffError {
  /** Seconds until the request may be tried again. */
  readonly retryAfter: number

  constructor(retryAfter: number, message: string) {
    super(429, 'rate_limited', message, { headers: { 'retry-after': String(retryAfter) } })
    this.retryAfter = retryAfter
  }

  override getResponse(): Response {
    const { status, headers } = super.getResponse()
    const body: RateLimitedErrorBody = {
      error: { code: 'rate_limited', message: this.message, retryAfter: this.retryAfter },
    }
    return new Response(JSON.stringify(body), { status, headers })
  }
}

/** The rate limits of one BFF. */
export interface RateLimits {
  /** Middleware charging `route`'s per-IP budget; throws {@link RateLimitedError} when spent. */
  perIp(route: RateLimitedRoute): MiddlewareHandler
  /** Charges `route`'s per-IP budget; throws {@link RateLimitedError} when it is spent. */
  checkIp(c: Context, route: RateLimitedRoute): Promise<void>
  /**
   * Runs `prove`, a sign-in's DPoP proof check. A refusal only for want of the server's nonce
   * gives `route`'s per-IP point back: that first try is the protocol's step (RFC 9449 §8), and
   * the retry with the nonce is the attempt.
   */
  proveSignIn<T>(c: Context, route: RateLimitedRoute, prove: () => Promise<T>): Promise<T>
  /**
   * Calls `authenticate` under the username delay and the concurrency cap, and records the
   * outcome: a failure counts against the username and network; a success forgives the failures
   * made under the very username typed (not every name that folds onto it) and gives the per-IP
   * point of `route` back. With `expectedUserId`, a user of another id is a failure too.
   */
  authenticate(
    c: Context,
    route: 'login' | 'reauthenticate',
    credentials: Credentials,
    expectedUserId?: string,
  ): Promise<BaseUser | null>
}

type LimitKey = RateLimitedEvent['key']

interface RateLimiterResLike {
  msBeforeNext: number
}

// `rate-limiter-flexible` rejects with a RateLimiterRes when a budget is spent and with an Error
// when its store fails; checked by shape, since a store's limiter may come from another copy.
const isSpent = (value: unknown): value is RateLimiterResLike =>
  typeof value === 'object' &&
  value !== null &&
  !(value instanceof Error) &&
  typeof (value as Partial<RateLimiterResLike>).msBeforeNext === 'number'

const toSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1_000))

const MESSAGES: Record<LimitKey, string> = {
  ip: 'Too many requests from this address; try again later.',
  username: 'Too many sign-in attempts for this account; try again later.',
  concurrency: 'Too many sign-ins are being checked right now; try again shortly.',
}

const byConfig = new WeakMap<BffConfig, RateLimits>()

/**
 * @internal The rate limits of the BFF `config` belongs to, created on first use (when the routes
 * are built, at start-up) and shared by every route of that BFF.
 */
export function rateLimits(config: BffConfig): RateLimits {
  let limits = byConfig.get(config)
  if (!limits) byConfig.set(config, (limits = createRateLimits(config)))
  return limits
}

function backendOf(config: BffConfig): RateLimiterBackend {
  const backend = config.store.rateLimiterBackend?.()
  if (backend) return backend
  config.logger.warn(
    '[baton] rate limits: the session store has no rateLimiterBackend(), so the counters live ' +
      'in this process; each BFF instance has its own budget',
  )
  return memoryRateLimiterBackend()
}

function createRateLimits(config: BffConfig): RateLimits {
  const plan = config.rateLimit
  const passThrough: MiddlewareHandler = async (_, next) => {
    await next()
  }
  if (!plan) {
    return {
      perIp: () => passThrough,
      checkIp: async () => {},
      proveSignIn: (_c, _route, prove) => prove(),
      authenticate: (c, _, credentials) => config.authenticate(credentials, c),
    }
  }

  const backend = backendOf(config)
  const ipLimiters = {} as Record<RateLimitedRoute, RateLimiterAbstract | null>
  for (const route of Object.keys(plan.ip) as RateLimitedRoute[]) {
    const rule = plan.ip[route]
    ipLimiters[route] = rule
      ? backend.limiter({
          keyPrefix: `ip:${route}`,
          points: rule.points,
          duration: rule.durationSec,
        })
      : null
  }
  const user = plan.username
  const delay = user ? usernameDelay(backend, user) : null
  const slots = plan.concurrency
    ? semaphore(plan.concurrency.max, plan.concurrency.queue, plan.concurrency.maxWaitMs)
    : null

  const refuse = (
    c: Context,
    route: RateLimitedRoute,
    key: LimitKey,
    retryAfter: number,
    username: string | null,
  ) => {
    config.emit({
      type: 'rate_limited',
      route,
      key,
      retryAfter,
      username,
      at: config.now(),
      ...requestMeta(config, c),
    })
    return new RateLimitedError(retryAfter, MESSAGES[key])
  }

  /** Runs a counter operation; a spent budget becomes 429, a failing store 503. */
  async function charge<T>(
    operation: () => Promise<T>,
    onSpent: (retryAfter: number) => Error,
  ): Promise<T> {
    try {
      return await operation()
    } catch (error) {
      if (isSpent(error)) throw onSpent(toSeconds(error.msBeforeNext))
      throw storeUnavailable(error)
    }
  }

  // Bookkeeping after the decision was made (a refund, a reset): a failure here must not turn a
  // correct sign-in into an error, so it is only logged.
  const settle = (work: Array<Promise<unknown> | undefined>) =>
    Promise.all(work.filter((task): task is Promise<unknown> => task !== undefined)).then(
      undefined,
      (error: unknown) => {
        config.logger.error('[baton] rate limits: could not update a counter', error)
      },
    )

  // Said once: on a runtime other than @hono/node-server, with no `clientIp` or `trustProxy`, no
  // request has an address. The limits then hold far less than the README says, and nothing else
  // would tell the operator.
  let unknownIpTold = false
  const addressOf = (c: Context) => {
    const ip = config.clientIp(c)
    if (ip === null && !unknownIpTold) {
      unknownIpTold = true
      config.logger.warn(
        '[baton] rate limits: a request came with no client address (clientIp answered null), so ' +
          'per-address budgets are skipped and every client shares one delay per username: ' +
          "anyone can hold back a user's sign-in. On Bun, Deno or Workers pass createBff({ " +
          "clientIp }) (hono's getConnInfo); behind a proxy, trustProxy.",
      )
    }
    return ip
  }

  const checkIp = async (c: Context, route: RateLimitedRoute) => {
    const limiter = ipLimiters[route]
    const ip = addressOf(c)
    // Without an address there is nobody to charge: one shared key would let a single client
    // refuse every sign-in. The username delay and the concurrency cap still apply.
    if (!limiter || ip === null) return
    await charge(
      () => limiter.consume(clientKey(ip)),
      (retryAfter) => refuse(c, route, 'ip', retryAfter, null),
    )
  }

  const withSlot = async <T>(
    c: Context,
    route: RateLimitedRoute,
    username: string,
    task: () => Promise<T>,
  ): Promise<T> => {
    if (!slots) return task()
    try {
      return await slots.run(task)
    } catch (error) {
      if (error instanceof SemaphoreRefused) throw refuse(c, route, 'concurrency', 1, username)
      throw error
    }
  }

  return {
    perIp: (route) =>
      createMiddleware(async function rateLimit(c, next) {
        await checkIp(c, route)
        await next()
      }),
    checkIp,
    async proveSignIn(c, route, prove) {
      try {
        return await prove()
      } catch (error) {
        const ip = config.clientIp(c)
        if (isBffError(error) && error.code === 'use_dpop_nonce' && ip !== null) {
          await settle([ipLimiters[route]?.reward(clientKey(ip))])
        }
        throw error
      }
    },

    async authenticate(c, route, credentials, expectedUserId) {
      const ip = addressOf(c)
      const keys = delay?.keys(credentials.username, ip) ?? null
      // Attempts are counted before `authenticate` runs, so in-flight ones count too.
      let counted: CountedAttempt | null = null
      const uncount = () =>
        settle([keys && delay && counted ? delay.uncount(keys, counted) : undefined])
      if (keys && delay && user) {
        const { count: attempt } = (counted = await charge(
          () => delay.count(keys),
          () => new Error('unreachable: penalty never spends a budget'),
        ))
        if (attempt >= user.points) {
          try {
            await charge(
              () => delay.wait(keys, attempt),
              (retryAfter) => refuse(c, route, 'username', retryAfter, credentials.username),
            )
          } catch (error) {
            // A refused attempt checked no password: it must not lengthen the next wait.
            await uncount()
            throw error
          }
        }
      }

      let result: BaseUser | null
      try {
        result = await withSlot(c, route, credentials.username, () =>
          config.authenticate(credentials, c),
        )
      } catch (error) {
        await uncount()
        throw error
      }
      // Someone else's right password (step-up of another user's session) proves nothing about
      // this one: a failure, or it would wipe the delay of the name typed and refund the point.
      if (result && (expectedUserId === undefined || result.id === expectedUserId)) {
        const ipLimiter = ipLimiters[route]
        await settle([
          keys && delay && counted ? delay.forgive(keys, counted) : undefined,
          ip === null ? undefined : ipLimiter?.reward(clientKey(ip)),
        ])
      } else if (keys && delay && counted) {
        await settle([delay.failed(keys, counted)])
      }
      return result
    },
  }
}
