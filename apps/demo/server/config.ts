/**
 * @module
 * The demo's configuration, read once from environment variables. Every variable has a
 * documented default (see the README); a value that does not parse stops the server at start
 * with a `ConfigError` naming the variable, never later in a request.
 */
import { parseDuration } from '@baton/bff'

/** `development` for `pnpm dev` (Vite serves the SPA), `production` for `pnpm start`. */
export type DemoMode = 'development' | 'production'

/** Where sessions live. */
export type StoreConfig =
  | { kind: 'memory' }
  | { kind: 'sqlite'; path: string }
  | { kind: 'redis'; url: string; keyPrefix: string }

/** The parsed configuration. Durations are in milliseconds. */
export interface DemoConfig {
  mode: DemoMode
  /** Interface the BFF listens on. */
  host: string
  /** Port of the BFF (`0`: any free port). */
  port: number
  /** Port of the Vite dev server (`pnpm dev` only). */
  vitePort: number
  accessTokenTtl: number
  idleTimeout: number
  absoluteTimeout: number
  gracePeriod: number
  /** How long before expiry the SPA refreshes; sent to it in a `<meta>` tag. */
  refreshMargin: number
  /**
   * How recent a sign-in the sensitive routes want (RFC 9470 step-up): the demo's `POST
   * /api/transfer` and ending other sessions from the devices list. Whole seconds.
   */
  stepUpMaxAge: number
  /** Origins allowed to call the auth routes, or `null` for each request's own origin. */
  allowedOrigins: string[] | null
  store: StoreConfig
  /** Signing keys as given (JWK JSON, JSON array of JWKs, or PEM), or `null` to generate. */
  signingKeys: string | null
  cookieSecure: boolean
  /**
   * DPoP server nonces (RFC 9449 §8) for the BFF and the API, or `null` for none (the BFF's
   * default): the shared HMAC secret and how long one nonce is handed out, in ms.
   */
  dpopNonce: { secret: string; lifetime: number } | null
  /**
   * The keys sealing TOTP secrets at rest (`BATON_MFA_KEY`, base64url of 32 bytes, newest first:
   * a comma-separated list rotates them), or `null` to generate one at start.
   */
  mfaKeys: string[] | null
}

/** A variable with a value the demo cannot use. */
export class ConfigError extends Error {
  override name = 'ConfigError'
  /** The environment variable at fault. */
  readonly variable: string

  constructor(variable: string, message: string) {
    super(`${variable} ${message}`)
    this.variable = variable
  }
}

/**
 * `url` with its password replaced by `***` (`redis://:***@host:6379/0`), for logs and error
 * messages: REDIS_URL often carries the Redis password, and start-up output ends up in CI logs
 * and terminals that others read. The user name stays; a `password` query parameter (which
 * ioredis also reads) is hidden too. Works on the text, so a value that is not a valid URL (the
 * one a config error reports) is redacted as well.
 *
 * @example
 * ```ts
 * redactUrl('rediss://default:s3cret@cache.example:6380/0') // 'rediss://default:***@cache.example:6380/0'
 * ```
 */
export function redactUrl(url: string): string {
  return (
    url
      // Up to the last '@' before the path, as URL parsers split user info from the host.
      .replace(/^([a-z][a-z\d+.-]*:\/\/|\/\/)?([^:@/]*):[^/]*@/i, '$1$2:***@')
      .replace(/([?&]password=)[^&#]*/gi, '$1***')
  )
}

/** The environment, as `process.env` gives it. */
export type Env = Readonly<Record<string, string | undefined>>

const read = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

function port(env: Env, name: string, fallback: number): number {
  const value = read(env, name)
  if (value === undefined) return fallback
  if (!/^\d+$/.test(value) || Number(value) > 65_535) {
    throw new ConfigError(name, `must be a port number from 0 to 65535, got "${value}"`)
  }
  return Number(value)
}

function duration(env: Env, name: string, fallback: string, minimum = 0): number {
  const value = read(env, name) ?? fallback
  let ms: number
  try {
    ms = parseDuration(value, name)
  } catch {
    throw new ConfigError(
      name,
      `must be a duration such as "500ms", "10s", "5m" or "24h", got "${value}"`,
    )
  }
  if (ms < minimum) {
    throw new ConfigError(name, `must be at least ${minimum} ms, got "${value}"`)
  }
  return ms
}

/** A duration of at least a second, in whole seconds: what a `max_age` challenge can say. */
function wholeSeconds(env: Env, name: string, fallback: string): number {
  const ms = duration(env, name, fallback, 1_000)
  if (ms % 1_000 !== 0) {
    throw new ConfigError(name, `must be a whole number of seconds, got "${read(env, name)}"`)
  }
  return ms
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const value = read(env, name)?.toLowerCase()
  if (value === undefined) return fallback
  if (value === 'true' || value === '1') return true
  if (value === 'false' || value === '0') return false
  throw new ConfigError(name, `must be "true" or "false", got "${value}"`)
}

function origins(env: Env, name: string): string[] | null {
  const value = read(env, name)
  if (value === undefined) return null
  return value.split(',').map((entry) => {
    const origin = entry.trim()
    let parsed: URL | undefined
    try {
      parsed = new URL(origin)
    } catch {
      // reported below
    }
    if (!parsed || parsed.origin !== origin || !/^https?:$/.test(parsed.protocol)) {
      throw new ConfigError(
        name,
        `must be a comma-separated list of origins like "https://app.example", got "${origin}"`,
      )
    }
    return origin
  })
}

function store(env: Env): StoreConfig {
  const kind = read(env, 'BATON_STORE')?.toLowerCase() ?? 'memory'
  switch (kind) {
    case 'memory':
      return { kind }
    case 'sqlite':
      return { kind, path: read(env, 'BATON_SQLITE_PATH') ?? '.data/sessions.db' }
    case 'redis': {
      const url = read(env, 'REDIS_URL') ?? 'redis://127.0.0.1:6379'
      if (!/^rediss?:\/\//.test(url)) {
        throw new ConfigError(
          'REDIS_URL',
          `must be a redis:// or rediss:// URL, got "${redactUrl(url)}"`,
        )
      }
      const keyPrefix = read(env, 'BATON_REDIS_PREFIX') ?? 'baton-demo:'
      if (/[{}]/.test(keyPrefix)) {
        throw new ConfigError('BATON_REDIS_PREFIX', 'may not contain "{" or "}"')
      }
      return { kind, url, keyPrefix }
    }
    default:
      throw new ConfigError('BATON_STORE', `must be "memory", "sqlite" or "redis", got "${kind}"`)
  }
}

function signingKeys(env: Env): string | null {
  const value = read(env, 'BATON_SIGNING_KEYS')
  if (value === undefined) return null
  if (value.startsWith('-----BEGIN')) return value
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    throw new ConfigError(
      'BATON_SIGNING_KEYS',
      'must be a JSON array of private JWKs (or one JWK, or a PKCS#8 PEM); it is not valid JSON',
    )
  }
  const keys = Array.isArray(parsed) ? parsed : [parsed]
  if (keys.length === 0 || !keys.every((key) => typeof key === 'object' && key !== null)) {
    throw new ConfigError('BATON_SIGNING_KEYS', 'must hold at least one JWK object')
  }
  return value
}

/** `BATON_DPOP_NONCE_SECRET` turns nonces on; the BFF wants 32 characters at least. */
function dpopNonce(env: Env): DemoConfig['dpopNonce'] {
  const secret = read(env, 'BATON_DPOP_NONCE_SECRET')
  if (secret === undefined) return null
  if (secret.length < 32) {
    throw new ConfigError('BATON_DPOP_NONCE_SECRET', 'must be at least 32 characters long')
  }
  return { secret, lifetime: duration(env, 'BATON_DPOP_NONCE_LIFETIME', '5m', 1_000) }
}

/** What `openssl rand -base64 32` prints, or the same in base64url: 32 bytes. */
const MFA_KEY = /^[A-Za-z0-9+/_-]{43}=?$/

/**
 * `BATON_MFA_KEY`: the AES-256 keys of sealed TOTP secrets. Without it the demo generates one at
 * start, which is only harmless while the factors die with the process too: a store that outlives
 * the process would keep secrets no key opens after a restart, and every user with an
 * authenticator app would be down to their recovery codes. So production refuses that.
 */
function mfaKeys(env: Env, mode: DemoMode, sessions: StoreConfig): string[] | null {
  const value = read(env, 'BATON_MFA_KEY')
  if (value === undefined) {
    if (mode === 'production' && sessions.kind !== 'memory') {
      throw new ConfigError(
        'BATON_MFA_KEY',
        `is required with BATON_STORE=${sessions.kind}: TOTP secrets stored there must still open after a restart (create one with "openssl rand -base64 32")`,
      )
    }
    return null
  }
  const keys = value.split(',').map((key) => key.trim())
  if (!keys.every((key) => MFA_KEY.test(key))) {
    throw new ConfigError(
      'BATON_MFA_KEY',
      'must be 32 bytes in base64 or base64url (e.g. from "openssl rand -base64 32"), or a comma-separated list of them',
    )
  }
  return keys
}

/**
 * Reads the configuration from `env`. Throws a {@link ConfigError} naming the first variable
 * whose value does not parse.
 *
 * @param env - The environment, usually `process.env`.
 * @param mode - Decides the default `PORT`: 3001 behind Vite in development, 3000 in production.
 *
 * @example
 * ```ts
 * const config = loadConfig({ PORT: '0', BATON_ACCESS_TTL: '3s' }, 'production')
 * ```
 */
export function loadConfig(env: Env, mode: DemoMode): DemoConfig {
  const host = read(env, 'HOST') ?? '127.0.0.1'
  const sessions = store(env)
  return {
    mode,
    host,
    port: port(env, 'PORT', mode === 'development' ? 3001 : 3000),
    vitePort: port(env, 'VITE_PORT', 5173),
    accessTokenTtl: duration(env, 'BATON_ACCESS_TTL', '5m', 1_000),
    idleTimeout: duration(env, 'BATON_IDLE_TIMEOUT', '24h', 1),
    absoluteTimeout: duration(env, 'BATON_ABSOLUTE_TIMEOUT', '30d', 1),
    gracePeriod: duration(env, 'BATON_GRACE_PERIOD', '10s'),
    refreshMargin: duration(env, 'BATON_REFRESH_MARGIN', '30s'),
    stepUpMaxAge: wholeSeconds(env, 'BATON_STEP_UP_MAX_AGE', '5m'),
    allowedOrigins: origins(env, 'BATON_ALLOWED_ORIGINS'),
    store: sessions,
    signingKeys: signingKeys(env),
    cookieSecure: boolean(env, 'BATON_COOKIE_SECURE', true),
    dpopNonce: dpopNonce(env),
    mfaKeys: mfaKeys(env, mode, sessions),
  }
}
