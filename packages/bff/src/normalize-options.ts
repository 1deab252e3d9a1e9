/**
 * @module
 * The one place `BffOptions` are checked and given their defaults (as ky's `normalize.ts`): every
 * mistake throws a `TypeError` starting with `createBff: ` and naming the option, when the factory
 * runs, before any request.
 * @internal
 */
import {
  AUTH_PATH_REFRESH_COOKIE,
  type BaseUser,
  parseDuration,
  REFRESH_COOKIE,
  SESSION_HINT_COOKIE,
  type Duration,
} from '@baton/protocol'
import type { Context } from 'hono'
import { normalizeAnomalies } from './anomaly/normalize.js'
import { normalizeBinding } from './dpop/options.js'
import { normalizeMfa } from './mfa/options.js'
import { BffError } from './errors.js'
import type { BffEvent } from './events.js'
import type { RefreshCookieOptions } from './cookie-options.js'
import type { BffConfig, BffOptions } from './options.js'
import { normalizeRateLimit } from './rate-limit/options.js'
import { normalizeTrustProxy, proxiedClientIp } from './rate-limit/trust-proxy.js'
import { normalizeSessionPolicy } from './session-policy-options.js'
import { memoryStore } from './stores/memory.js'
import { createSigningKeys, isSigningKeys } from './tokens/keys.js'
import { loggableLogger } from './loggable.js'

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

// Every message names the factory, so a stack-less log line still says where it came from.
const invalid = (message: string) => new TypeError(`createBff: ${message}`)

const duration = (value: Duration, option: string) => parseDuration(value, `createBff: ${option}`)

function normalizePath(path: string, option: string): string {
  if (typeof path !== 'string' || !path.startsWith('/') || /[\s?#;]/.test(path)) {
    throw invalid(`${option} must be a path starting with "/", got "${String(path)}"`)
  }
  return path.length > 1 ? path.replace(/\/+$/, '') : path
}

function positiveInteger(value: number | undefined, fallback: number, option: string): number {
  const result = value ?? fallback
  if (!Number.isInteger(result) || result <= 0) {
    throw invalid(`${option} must be a positive integer, got ${String(value)}`)
  }
  return result
}

// Under @hono/node-server the Node request is on c.env.incoming; other runtimes have their own.
function socketAddress(c: Context): string | null {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: unknown } } } | undefined
  const address = env?.incoming?.socket?.remoteAddress
  return typeof address === 'string' ? address : null
}

// `trustProxy` reads X-Forwarded-For on top of the socket's peer; `clientIp` replaces both.
function clientIpOf(options: Pick<BffOptions, 'clientIp' | 'trustProxy'>): BffConfig['clientIp'] {
  const resolver = normalizeTrustProxy(options.trustProxy)
  if (options.clientIp !== undefined && resolver !== null) {
    throw invalid('give clientIp or trustProxy, not both')
  }
  if (options.clientIp !== undefined && typeof options.clientIp !== 'function') {
    throw invalid('clientIp must be a function')
  }
  return options.clientIp ?? (resolver ? proxiedClientIp(resolver, socketAddress) : socketAddress)
}

function normalizeCookie(options: RefreshCookieOptions): BffConfig['cookie'] {
  const scope = options.scope ?? 'root'
  if (scope !== 'root' && scope !== 'auth-path') {
    throw invalid(`cookie.scope must be "root" or "auth-path", got "${String(scope)}"`)
  }
  const secure = options.secure ?? true
  if (typeof secure !== 'boolean') throw invalid('cookie.secure must be a boolean')
  // Both prefixes require Secure, so a BFF told to drop it falls back to an unprefixed name.
  const fallbackName = !secure
    ? 'baton_rt'
    : scope === 'root'
      ? REFRESH_COOKIE
      : AUTH_PATH_REFRESH_COOKIE
  const name = options.name ?? fallbackName
  if (typeof name !== 'string' || !COOKIE_NAME.test(name)) {
    throw invalid(`cookie.name "${String(name)}" is not a valid cookie name`)
  }
  const path = options.path === undefined ? null : normalizePath(options.path, 'cookie.path')
  if (scope === 'root' && path !== null && path !== '/') {
    throw invalid(
      `cookie.path "${path}" needs cookie.scope "auth-path": with scope "root" the cookie is on Path=/`,
    )
  }
  const cookie = { name, scope, path: scope === 'root' ? '/' : path, secure }
  // Browsers drop a prefixed cookie whose attributes break the prefix's rules (RFC 6265bis 4.1.3).
  if (/^__Host-/i.test(cookie.name) && cookie.path !== '/') {
    throw invalid('cookie.name with the __Host- prefix requires cookie.path "/"')
  }
  if (/^__(Host|Secure)-/i.test(cookie.name) && !cookie.secure) {
    throw invalid('cookie.name with a __Host- or __Secure- prefix requires cookie.secure')
  }
  return cookie
}

function normalizeHint(
  option: string | false | undefined,
  cookie: BffConfig['cookie'],
): string | null {
  if (option === false) return null
  const name = option ?? SESSION_HINT_COOKIE
  if (typeof name !== 'string' || !COOKIE_NAME.test(name)) {
    throw invalid(`sessionHintCookie "${String(name)}" is not a valid cookie name`)
  }
  if (name === cookie.name) {
    throw invalid(`sessionHintCookie must differ from cookie.name "${cookie.name}"`)
  }
  // The hint is always on Path=/ with no Domain, so __Host- only needs Secure.
  if (/^__(Host|Secure)-/i.test(name) && !cookie.secure) {
    throw invalid('sessionHintCookie with a __Host- or __Secure- prefix requires cookie.secure')
  }
  return name
}

/** Without `authenticate` no password is ever checked; the routes answer 404 before calling it. */
const noPasswordLogin = () => Promise.reject(passwordLoginOff())

/**
 * @internal `404 not_found` for the password routes of a BFF that signs users in through its
 * OpenID provider only: the route is not there, whatever the body says.
 */
export const passwordLoginOff = () =>
  new BffError(
    404,
    'not_found',
    'This server has no password sign-in; sign in through the identity provider.',
  )

/** @internal Applies defaults and throws a `TypeError` naming the first bad option. */
export function normalizeOptions<TUser extends BaseUser>(options: BffOptions<TUser>): BffConfig {
  if (typeof options !== 'object' || options === null) throw invalid('options are required')
  if (options.authenticate === undefined && options.oidc === undefined) {
    throw invalid('give authenticate (password sign-in), oidc (an OpenID provider), or both')
  }
  if (options.authenticate !== undefined && typeof options.authenticate !== 'function') {
    throw invalid('authenticate must be a function')
  }
  if (options.oidc !== undefined && (typeof options.oidc !== 'object' || options.oidc === null)) {
    throw invalid('oidc must be the value of oidcLogin() from @baton/bff/oidc')
  }
  const basePath = normalizePath(options.basePath ?? '/auth', 'basePath')
  const accessTokenTtlMs = duration(options.accessTokenTtl ?? '5m', 'accessTokenTtl')
  const idleTimeoutMs = duration(options.idleTimeout ?? '24h', 'idleTimeout')
  const absoluteTimeoutMs = duration(options.absoluteTimeout ?? '30d', 'absoluteTimeout')
  const gracePeriodMs = duration(options.gracePeriod ?? '10s', 'gracePeriod')
  if (accessTokenTtlMs < 1_000) throw invalid('accessTokenTtl must be at least 1s')
  if (idleTimeoutMs <= 0) throw invalid('idleTimeout must be positive')
  if (absoluteTimeoutMs <= 0) throw invalid('absoluteTimeout must be positive')

  const cookie = normalizeCookie(options.cookie ?? {})
  const sessionHintCookie = normalizeHint(options.sessionHintCookie, cookie)

  const logger = loggableLogger(options.logger ?? console)
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
        throw invalid(
          `allowedOrigins: "${String(origin)}" is not an origin like "https://app.example"`,
        )
      }
      set.add(origin)
    }
    isAllowedOrigin = (origin) => set.has(origin)
  } else {
    throw invalid('allowedOrigins must be an array of origins or a function')
  }

  if (options.keys !== undefined && !isSigningKeys(options.keys)) {
    throw invalid('keys must come from createSigningKeys()')
  }
  const keys = options.keys ?? createSigningKeys({ logger })

  const audience = options.audience ?? 'baton-api'
  const clientId = options.clientId ?? audience
  if (typeof clientId !== 'string' || clientId === '') {
    throw invalid('clientId must be a non-empty string')
  }
  const validateSession = options.validateSession ?? null
  if (validateSession !== null && typeof validateSession !== 'function') {
    throw invalid('validateSession must be a function')
  }
  // The session's user is the one `authenticate` returned for it, so it is a TUser (after a JSON
  // round trip in a persistent store); the config holds it under the general type.
  const checkSession = validateSession as BffConfig['validateSession']

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

  // The default store's background sweep must follow the same (possibly injected) clock.
  const store = options.store ?? memoryStore({ now })

  const binding = normalizeBinding(options.binding, options.dpop, store, logger)
  return {
    authenticate: options.authenticate ?? noPasswordLogin,
    passwordLogin: options.authenticate !== undefined,
    keys,
    store,
    issuer: options.issuer ?? 'baton',
    audience,
    clientId,
    validateSession: checkSession,
    basePath,
    jwksPath: normalizePath(options.jwksPath ?? '/.well-known/jwks.json', 'jwksPath'),
    accessTokenTtlMs,
    idleTimeoutMs,
    absoluteTimeoutMs,
    gracePeriodMs,
    cookie,
    sessionHintCookie,
    isAllowedOrigin,
    emit,
    clientIp: clientIpOf(options),
    maxUsernameLength: positiveInteger(options.maxUsernameLength, 256, 'maxUsernameLength'),
    maxPasswordLength: positiveInteger(options.maxPasswordLength, 1024, 'maxPasswordLength'),
    now,
    logger,
    sessionPolicy: normalizeSessionPolicy(options),
    rateLimit: normalizeRateLimit(options.rateLimit),
    anomalies: normalizeAnomalies(options.anomalies, accessTokenTtlMs),
    binding,
    mfa: normalizeMfa(options.mfa, {
      issuer: options.issuer ?? 'baton',
      allowedOrigins: options.allowedOrigins,
      store,
    }),
  }
}
