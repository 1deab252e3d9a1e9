/**
 * @module
 * `BffOptions` and their defaults, documented once; `BffConfig`, what they become. They are
 * checked in one place, `normalize-options.ts`.
 */
import type { Duration, SessionUser } from '@baton/protocol'
import type { Context } from 'hono'
import type { BffEvent } from './events.js'
import type { SessionStore } from './stores/types.js'
import type { SigningKeys } from './tokens/keys.js'

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
   * Cookie `Path`. By default the cookie only travels to the auth routes, wherever the BFF is
   * mounted: `basePath` under the host app's prefix, read per request, so
   * `app.route('/api', createBff(…))` scopes it to `/api/auth` without saying so twice. Set it to
   * pin another path (`'/'` for a `__Host-` name).
   * @default the path the auth routes answer on
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
   * Path of the auth routes (login, refresh, logout, sessions) inside the BFF app. Mounting the
   * BFF with `app.route(prefix, bff)` puts them under `prefix` as well.
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
   * Name of the session hint: a cookie holding `1`, set whenever the refresh cookie is set (same
   * Max-Age, `Secure` as the refresh cookie, SameSite=Strict) and cleared whenever it is cleared
   * (logout, and every 401 from refresh). Unlike the refresh cookie it is not HttpOnly and its Path
   * is `/`, so the SPA reads it from `document.cookie` on any page: without it, a page load skips
   * the boot refresh that could only answer 401 (no error in the console of an anonymous visitor).
   *
   * It carries nothing secret: it only says that a refresh cookie was set, which grants nothing,
   * and a hint that is stale or forged costs one refresh answering 401, as without it. The refresh
   * cookie alone decides whether a session exists. Give `@baton/client` the same name (its
   * `sessionHintCookie` option); with `false` here, set `false` there too, or every page load looks
   * signed out.
   * @default 'baton_session' (`SESSION_HINT_COOKIE` of `@baton/protocol`)
   */
  sessionHintCookie?: string | false
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
  /** `path: null` follows the mount point, per request (see `refreshCookiePath`). */
  cookie: { name: string; path: string | null; secure: boolean }
  sessionHintCookie: string | null
  isAllowedOrigin: (origin: string, c: Context) => boolean
  emit: (event: BffEvent) => void
  clientIp: (c: Context) => string | null
  maxUsernameLength: number
  maxPasswordLength: number
  now: () => number
  logger: Pick<Console, 'warn' | 'error'>
}
