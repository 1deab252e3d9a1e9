/**
 * @module
 * `RateLimitOptions`, their defaults and their normalisation (checked once, at start-up, with a
 * `TypeError` naming the option, like every other option of `createBff`).
 */
import { parseDuration, type Duration } from '@baton/protocol'

/** A budget: `points` requests per `duration`, counted per key (a client IP). */
export interface RateLimitRule {
  /** Requests allowed per window. */
  points?: number
  /** The window: a fixed window starting at the first request, whole seconds (at least `1s`). */
  duration?: Duration
}

/**
 * Sign-in attempts per username from one network (IPv4 /24, IPv6 /48). The first `points`
 * attempts in a `duration` go through; each later one must wait a delay that doubles from `delay`
 * up to `maxDelay`, or is answered `429` with the wait in `Retry-After`. A correct password resets
 * the count. Never a lockout: the count belongs to the username *and* the network, so somebody
 * guessing from elsewhere does not slow down the real user.
 */
export interface UsernameRateLimit extends RateLimitRule {
  /**
   * The first wait, once `points` attempts are used up.
   * @default '1s'
   */
  delay?: Duration
  /**
   * The longest wait between two attempts.
   * @default '15m'
   */
  maxDelay?: Duration
}

/**
 * At most `max` `authenticate` calls run at once; up to `queue` more wait, each at most
 * `maxWait`. A sign-in beyond that is answered `429 rate_limited` (`Retry-After: 1`) at once, so a
 * flood of password hashes cannot take every thread and all the memory of the process.
 */
export interface AuthenticateConcurrency {
  /**
   * `authenticate` calls running at once. Password hashes (scrypt, bcrypt, argon2) run on libuv's
   * thread pool, 4 threads by default: more concurrent hashes than threads only wait inside libuv,
   * where nothing bounds them.
   * @default 4
   */
  max?: number
  /**
   * Sign-ins waiting for a slot.
   * @default 256
   */
  queue?: number
  /**
   * How long a sign-in waits for a slot before it is answered `429`.
   * @default '5s'
   */
  maxWait?: Duration
}

/**
 * Limits on the auth routes (OWASP ASVS 6.3.1, 6.1.1); each can be `false` to turn it off. Counters
 * live in the session store (see `SessionStore.rateLimiterBackend`), so every BFF instance on
 * one Redis shares one budget. Counters follow the real clock (`Date.now`), not the `now` option.
 */
export interface RateLimitOptions {
  /**
   * `POST {base}/login` per client IP (IPv6: per /64). A successful sign-in gives its point back,
   * so in effect this counts failed and in-flight attempts: an office behind one NAT is not
   * refused because many of its people sign in. So does a request refused only for want of the
   * DPoP nonce (`use_dpop_nonce`): the client's retry with it is the attempt.
   * @default { points: 20, duration: '1m' }
   */
  login?: RateLimitRule | false
  /**
   * Progressive delay per username and network, see {@link UsernameRateLimit}.
   * @default { points: 5, duration: '1h', delay: '1s', maxDelay: '15m' }
   */
  username?: UsernameRateLimit | false
  /**
   * `POST {base}/refresh` per client IP. Every open browser refreshes about once per access-token
   * lifetime, so this is generous: it stops a script hammering the store, not a busy NAT.
   * @default { points: 300, duration: '1m' }
   */
  refresh?: RateLimitRule | false
  /**
   * `POST {base}/logout` per client IP. A refused logout still clears the browser's cookies.
   * @default { points: 60, duration: '1m' }
   */
  logout?: RateLimitRule | false
  /**
   * `POST {base}/reauthenticate` per client IP (it checks a password, as login does).
   * @default { points: 20, duration: '1m' }
   */
  reauthenticate?: RateLimitRule | false
  /**
   * `GET {base}/oidc/login` per client IP (`@baton/bff/oidc`): each one seals a transaction and,
   * with PAR, calls the provider, so a script cannot make the BFF flood the provider. A refused
   * navigation lands on `errorPath?oidc_error=rate_limited`.
   * @default { points: 30, duration: '1m' }
   */
  oidcLogin?: RateLimitRule | false
  /**
   * `GET {base}/oidc/callback` per client IP: each one may exchange a code at the provider.
   * @default { points: 30, duration: '1m' }
   */
  oidcCallback?: RateLimitRule | false
  /**
   * `POST {base}/oidc/backchannel-logout` per client IP, which is the provider's: generous, since a
   * refused logout token leaves a session alive that the provider ended (providers rarely retry).
   * Raise it if the provider may end more sessions than this in a minute.
   * @default { points: 600, duration: '1m' }
   */
  backchannelLogout?: RateLimitRule | false
  /**
   * Every second-factor route (`createBff({ mfa })`: `POST {base}/login/mfa`, `/login/passkey`,
   * the passkey options and the `{base}/factors` routes) per client IP. Each code or assertion
   * checked also counts against the user (10 failures per 15 minutes) and the ticket
   * (`mfa.maxTicketTries`).
   * @default { points: 30, duration: '1m' }
   */
  mfa?: RateLimitRule | false
  /** The cap on concurrent `authenticate` calls. */
  concurrency?: AuthenticateConcurrency | false
}

/** The routes that have a per-IP limit. */
export type RateLimitedRoute =
  | 'login'
  | 'refresh'
  | 'logout'
  | 'reauthenticate'
  | 'oidcLogin'
  | 'oidcCallback'
  | 'backchannelLogout'
  | 'mfa'

/** @internal A per-IP budget, durations in whole seconds as `rate-limiter-flexible` takes them. */
export interface RuleConfig {
  points: number
  durationSec: number
}

/** @internal `RateLimitOptions` after defaults and validation. */
export interface RateLimitConfig {
  ip: Record<RateLimitedRoute, RuleConfig | null>
  username: (RuleConfig & { delaySec: number; maxDelaySec: number }) | null
  concurrency: { max: number; queue: number; maxWaitMs: number } | null
}

const DEFAULT_IP: Record<RateLimitedRoute, Required<RateLimitRule>> = {
  login: { points: 20, duration: '1m' },
  refresh: { points: 300, duration: '1m' },
  logout: { points: 60, duration: '1m' },
  reauthenticate: { points: 20, duration: '1m' },
  oidcLogin: { points: 30, duration: '1m' },
  oidcCallback: { points: 30, duration: '1m' },
  backchannelLogout: { points: 600, duration: '1m' },
  mfa: { points: 30, duration: '1m' },
}

const invalid = (message: string) => new TypeError(`createBff: rateLimit.${message}`)

// Not a type guard: narrowing to a record would erase the option types of the fields read after.
const isRecord = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function count(value: unknown, option: string, min = 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw invalid(`${option} must be an integer of at least ${min}, got ${String(value)}`)
  }
  return value
}

function seconds(value: Duration, option: string): number {
  const ms = parseDuration(value, `createBff: rateLimit.${option}`)
  if (ms < 1_000 || ms % 1_000 !== 0) {
    throw invalid(`${option} must be whole seconds, at least 1s, got ${String(value)}`)
  }
  return ms / 1_000
}

function rule(
  value: RateLimitRule | false | undefined,
  fallback: Required<RateLimitRule>,
  option: string,
): RuleConfig | null {
  if (value === false) return null
  if (value !== undefined && !isRecord(value)) {
    throw invalid(`${option} must be false or an object { points, duration }`)
  }
  return {
    points: count(value?.points ?? fallback.points, `${option}.points`),
    durationSec: seconds(value?.duration ?? fallback.duration, `${option}.duration`),
  }
}

/** @internal Applies defaults; `null` when rate limiting is off (`rateLimit: false`). */
export function normalizeRateLimit(
  options: RateLimitOptions | false | undefined,
): RateLimitConfig | null {
  if (options === false) return null
  if (options !== undefined && !isRecord(options)) {
    throw new TypeError('createBff: rateLimit must be false or an object')
  }
  const o: RateLimitOptions = options ?? {}
  const ip = {} as Record<RateLimitedRoute, RuleConfig | null>
  for (const route of Object.keys(DEFAULT_IP) as RateLimitedRoute[]) {
    ip[route] = rule(o[route], DEFAULT_IP[route], route)
  }

  let username: RateLimitConfig['username'] = null
  const u = o.username
  const base = rule(u, { points: 5, duration: '1h' }, 'username')
  if (base && u !== false) {
    const delaySec = seconds(u?.delay ?? '1s', 'username.delay')
    const maxDelaySec = seconds(u?.maxDelay ?? '15m', 'username.maxDelay')
    if (maxDelaySec < delaySec) throw invalid('username.maxDelay must be at least username.delay')
    username = { ...base, delaySec, maxDelaySec }
  }

  let concurrency: RateLimitConfig['concurrency'] = null
  const k = o.concurrency
  if (k !== false) {
    if (k !== undefined && !isRecord(k)) {
      throw invalid('concurrency must be false or an object { max, queue, maxWait }')
    }
    concurrency = {
      max: count(k?.max ?? 4, 'concurrency.max'),
      queue: count(k?.queue ?? 256, 'concurrency.queue', 0),
      maxWaitMs: parseDuration(k?.maxWait ?? '5s', 'createBff: rateLimit.concurrency.maxWait'),
    }
  }
  return { ip, username, concurrency }
}
