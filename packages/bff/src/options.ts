/**
 * @module
 * `BffOptions`, their defaults, and the one place they are checked.
 */
import type { Context } from 'hono'
import { parseDuration, type Duration } from './duration.js'
import type { BffEvent } from './events.js'
import { memoryStore } from './stores/memory.js'
import type { SessionStore, SessionUser } from './stores/types.js'
import { createSigningKeys, isSigningKeys, type SigningKeys } from './tokens/keys.js'

/** What `POST /auth/login` receives. */
export interface Credentials {
  username: string
  password: string
}

/** The refresh cookie's name and scope. */
export interface RefreshCookieOptions {
  /**
   * Cookie name.
   * @default 'baton_rt'
   */
  name?: string
  /**
   * Cookie `Path`. The cookie only travels to the auth routes.
   * @default the base path
   */
  path?: string
  /**
   * The `Secure` attribute. Browsers accept Secure cookies from `http://localhost` and
   * `http://127.0.0.1`, so leave this on unless you serve the BFF over plain HTTP elsewhere.
   * @default true
   */
  secure?: boolean
}

/** Options of `createBff`. */
export interface BffOptions {
  /**
   * Checks credentials and returns the user, or `null` to refuse. Make it take the same time
   * whether or not the user exists (hash against a dummy when the user is unknown).
   */
  authenticate: (credentials: Credentials, c: Context) => Promise<SessionUser | null>
  /**
   * Access-token signing keys.
   * @default createSigningKeys() (generated at start, with a warning)
   */
  keys?: SigningKeys
  /**
   * Where sessions live.
   * @default memoryStore({ now })
   */
  store?: SessionStore
  /**
   * Access token `iss`.
   * @default 'baton'
   */
  issuer?: string
  /**
   * Access token `aud`.
   * @default 'baton-api'
   */
  audience?: string
  /**
   * Path of the auth routes (login, refresh, logout, sessions).
   * @default '/auth'
   */
  basePath?: string
  /**
   * Path of the public key set.
   * @default '/.well-known/jwks.json'
   */
  jwksPath?: string
  /**
   * Access token lifetime.
   * @default '5m'
   */
  accessTokenTtl?: Duration
  /**
   * A session not refreshed for this long ends (OWASP ASVS 7.3.1).
   * @default '24h'
   */
  idleTimeout?: Duration
  /**
   * A session ends this long after login, whatever happens (OWASP ASVS 7.3.2).
   * @default '30d'
   */
  absoluteTimeout?: Duration
  /**
   * How long the immediately previous refresh token still refreshes (returning the same successor)
   * after a rotation: covers a lost response or two tabs racing. `0` makes any duplicate a reuse.
   * @default '10s'
   */
  gracePeriod?: Duration
  /** Refresh cookie settings. */
  cookie?: RefreshCookieOptions
  /**
   * Origins allowed to call login, refresh and logout (checked with the `X-CSRF: 1` header).
   * @default the request's own origin only
   */
  allowedOrigins?: readonly string[] | ((origin: string, c: Context) => boolean)
  /** Receives every audit event. Errors it throws are logged, never sent to the client. */
  onEvent?: (event: BffEvent) => void | Promise<void>
  /**
   * The client's IP address, recorded on sessions and events. Return `null` when unknown.
   * @default the socket address under `@hono/node-server`, else `null`
   */
  clientIp?: (c: Context) => string | null
  /**
   * Largest accepted `username` (characters).
   * @default 256
   */
  maxUsernameLength?: number
  /**
   * Largest accepted `password` (characters).
   * @default 1024
   */
  maxPasswordLength?: number
  /**
   * The clock, for tests.
   * @default Date.now
   */
  now?: () => number
  /**
   * Where unexpected errors and warnings go.
   * @default console
   */
  logger?: Pick<Console, 'warn' | 'error'>
}

/** @internal Options after defaults and validation. */
export interface BffConfig {
  authenticate: BffOptions['authenticate']
  keys: SigningKeys
  store: SessionStore
  issuer: string
  audience: string
  basePath: string
  jwksPath: string
  accessTokenTtlMs: number
  idleTimeoutMs: number
  absoluteTimeoutMs: number
  gracePeriodMs: number
  cookie: Required<RefreshCookieOptions>
  isAllowedOrigin: (origin: string, c: Context) => boolean
  emit: (event: BffEvent) => void
  clientIp: (c: Context) => string | null
  maxUsernameLength: number
  maxPasswordLength: number
  now: () => number
  logger: Pick<Console, 'warn' | 'error'>
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

function normalizePath(path: string, option: string): string {
  if (typeof path !== 'string' || !path.startsWith('/') || /[\s?#]/.test(path)) {
    throw new TypeError(`${option} must be a path starting with "/", got "${String(path)}"`)
  }
  return path.length > 1 ? path.replace(/\/+$/, '') : path
}

function positiveInteger(value: number | undefined, fallback: number, option: string): number {
  const result = value ?? fallback
  if (!Number.isInteger(result) || result <= 0) {
    throw new TypeError(`${option} must be a positive integer, got ${String(value)}`)
  }
  return result
}

// Under @hono/node-server the Node request is on c.env.incoming; other runtimes have their own.
function socketAddress(c: Context): string | null {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: unknown } } } | undefined
  const address = env?.incoming?.socket?.remoteAddress
  return typeof address === 'string' ? address : null
}

/** @internal Applies defaults and throws a `TypeError` naming the first bad option. */
export function normalizeOptions(options: BffOptions): BffConfig {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createBff: options are required')
  }
  if (typeof options.authenticate !== 'function') {
    throw new TypeError('createBff: authenticate must be a function')
  }
  const basePath = normalizePath(options.basePath ?? '/auth', 'basePath')
  const accessTokenTtlMs = parseDuration(options.accessTokenTtl ?? '5m', 'accessTokenTtl')
  const idleTimeoutMs = parseDuration(options.idleTimeout ?? '24h', 'idleTimeout')
  const absoluteTimeoutMs = parseDuration(options.absoluteTimeout ?? '30d', 'absoluteTimeout')
  const gracePeriodMs = parseDuration(options.gracePeriod ?? '10s', 'gracePeriod')
  if (accessTokenTtlMs < 1_000) throw new TypeError('accessTokenTtl must be at least 1s')
  if (idleTimeoutMs <= 0) throw new TypeError('idleTimeout must be positive')
  if (absoluteTimeoutMs <= 0) throw new TypeError('absoluteTimeout must be positive')

  const cookieName = options.cookie?.name ?? 'baton_rt'
  if (!COOKIE_NAME.test(cookieName)) {
    throw new TypeError(`cookie.name "${cookieName}" is not a valid cookie name`)
  }
  const cookie: Required<RefreshCookieOptions> = {
    name: cookieName,
    path: normalizePath(options.cookie?.path ?? basePath, 'cookie.path'),
    secure: options.cookie?.secure ?? true,
  }
  if (/^__Host-/i.test(cookie.name) && cookie.path !== '/') {
    throw new TypeError('cookie.name with the __Host- prefix requires cookie.path "/"')
  }
  if (/^__(Host|Secure)-/i.test(cookie.name) && !cookie.secure) {
    throw new TypeError('cookie.name with a __Host- or __Secure- prefix requires cookie.secure')
  }

  const logger = options.logger ?? console
  const allowed = options.allowedOrigins
  let isAllowedOrigin: BffConfig['isAllowedOrigin']
  if (allowed === undefined) {
    isAllowedOrigin = (origin, c) => origin === new URL(c.req.url).origin
  } else if (typeof allowed === 'function') {
    isAllowedOrigin = allowed
  } else if (Array.isArray(allowed)) {
    const set = new Set<string>()
    for (const origin of allowed) {
      if (
        typeof origin !== 'string' ||
        !URL.canParse(origin) ||
        new URL(origin).origin !== origin
      ) {
        throw new TypeError(
          `allowedOrigins: "${String(origin)}" is not an origin like "https://app.example"`,
        )
      }
      set.add(origin)
    }
    isAllowedOrigin = (origin) => set.has(origin)
  } else {
    throw new TypeError('allowedOrigins must be an array of origins or a function')
  }

  if (options.keys !== undefined && !isSigningKeys(options.keys)) {
    throw new TypeError('createBff: keys must come from createSigningKeys()')
  }
  const keys = options.keys ?? createSigningKeys({ logger })

  const now = options.now ?? (() => Date.now())
  const onEvent = options.onEvent
  const emit = (event: BffEvent) => {
    if (!onEvent) return
    try {
      const result = onEvent(event)
      if (result && typeof result.then === 'function') {
        result.then(undefined, (error: unknown) => logger.error('[baton] onEvent failed', error))
      }
    } catch (error) {
      logger.error('[baton] onEvent failed', error)
    }
  }

  return {
    authenticate: options.authenticate,
    keys,
    // The default store's background sweep must follow the same (possibly injected) clock.
    store: options.store ?? memoryStore({ now }),
    issuer: options.issuer ?? 'baton',
    audience: options.audience ?? 'baton-api',
    basePath,
    jwksPath: normalizePath(options.jwksPath ?? '/.well-known/jwks.json', 'jwksPath'),
    accessTokenTtlMs,
    idleTimeoutMs,
    absoluteTimeoutMs,
    gracePeriodMs,
    cookie,
    isAllowedOrigin,
    emit,
    clientIp: options.clientIp ?? socketAddress,
    maxUsernameLength: positiveInteger(options.maxUsernameLength, 256, 'maxUsernameLength'),
    maxPasswordLength: positiveInteger(options.maxPasswordLength, 1024, 'maxPasswordLength'),
    now,
    logger,
  }
}
