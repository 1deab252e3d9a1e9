/**
 * @module
 * `createDemoApp()`: the demo's one Hono app. It composes the BFF (`/auth/*`, the JWKS), the demo
 * API (`/api/*`, bearer tokens only) and, in production, the built SPA behind strict security
 * headers.
 */
import { mkdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  bffErrorHandler,
  bffNotFound,
  createBff,
  createSigningKeys,
  memoryStore,
  type BffEvent,
  type SessionStore,
  type SigningKeys,
} from '@baton/bff'
import { serveStatic } from '@hono/node-server/serve-static'
import { Hono, type Context } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import { createAdminApi } from './admin.js'
import { createDemoApi } from './api.js'
import { ConfigError, type DemoConfig, type StoreConfig } from './config.js'
import { createEventHub, type EventHub } from './event-hub.js'
import { createUserDirectory, type DemoUser, type UserDirectory } from './users.js'
import type { OidcLogin } from '@baton/bff/oidc'

/** Where `vite build` puts the SPA. */
export const DEMO_DIST_DIR = fileURLToPath(new URL('../dist', import.meta.url))

/** What `index.html` holds until the server fills in the configured refresh margin. */
export const REFRESH_MARGIN_PLACEHOLDER = '__BATON_REFRESH_MARGIN__'

const ISSUER = 'baton'
const AUDIENCE = 'baton-api'

/** Paths that belong to the BFF or the API: never answered with the SPA's HTML. */
const SERVER_PATHS = /^\/(auth|api|\.well-known)(\/|$)/

/**
 * The HSTS policy: one year (what OWASP and the HSTS preload list ask for) on every subdomain. It
 * only binds a browser that received it over HTTPS; on `http://localhost` it is ignored.
 */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000; includeSubDomains'

/**
 * Source maps, however the name is spelled or encoded: `vite build` writes them next to the
 * bundles, and they hand the original sources (comments included) to anybody who asks.
 */
const SOURCE_MAP = /\.map$/i

/** Options of {@link createDemoApp}. */
export interface DemoAppOptions {
  /**
   * Directory of the built SPA to serve, or `null` for none (under `pnpm dev`, Vite serves it).
   * @default DEMO_DIST_DIR in production mode, null in development
   */
  staticDir?: string | null
  /** Receives every BFF audit event (login, refresh, logout, revoked, reuse_detected, …). */
  onEvent?: (event: BffEvent) => void
  /**
   * Where each event is also written as one JSON line (`{"msg":"bff_event","type":…}`); `null`
   * writes nothing.
   * @default a line on stdout
   */
  log?: ((line: string) => void) | null
  /** The accounts. @default createUserDirectory() (alice and bob) */
  users?: UserDirectory
  /** Where the BFF's warnings and unexpected errors go. @default console */
  logger?: Pick<Console, 'warn' | 'error'>
  /** Sign-in through an OpenID provider too (`idp-login.ts`). @default none */
  oidc?: OidcLogin<DemoUser>
}

/** The composed app and what it holds. */
export interface DemoApp {
  app: Hono
  keys: SigningKeys
  store: SessionStore
  users: UserDirectory
  /** Every audit event, for the security console (`/api/admin/events`). */
  hub: EventHub
  /** Closes the session store (connections, timers). */
  close(): Promise<void>
}

/** The Content-Security-Policy of every response: same-origin everything, no inline script. */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
}

/** The headers of every answer, a request the server could not parse included (`start.ts`). */
export const securityHeaders = () =>
  secureHeaders({
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    strictTransportSecurity: STRICT_TRANSPORT_SECURITY,
    permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [] },
  })

async function openStore(config: StoreConfig): Promise<SessionStore> {
  // Loaded on demand, so the default memory store needs neither better-sqlite3 nor ioredis.
  try {
    switch (config.kind) {
      case 'memory':
        return memoryStore()
      case 'sqlite': {
        const { sqliteStore } = await import('@baton/bff/stores/sqlite')
        mkdirSync(dirname(config.path), { recursive: true })
        return sqliteStore({ path: config.path })
      }
      case 'redis': {
        const { redisStore } = await import('@baton/bff/stores/redis')
        return redisStore({ redis: config.url, keyPrefix: config.keyPrefix })
      }
    }
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    throw new ConfigError('BATON_STORE', `"${config.kind}" could not be opened: ${reason}`)
  }
}

async function loadKeys(config: DemoConfig, logger: Pick<Console, 'warn'>): Promise<SigningKeys> {
  try {
    // createSigningKeys throws at once for a malformed key; a key that passes its checks and
    // still does not import only shows on first use, so that is forced here too.
    const keys = createSigningKeys({
      keys: config.signingKeys ?? undefined,
      source: 'BATON_SIGNING_KEYS',
      logger,
    })
    await keys.jwks()
    return keys
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    throw new ConfigError('BATON_SIGNING_KEYS', `holds an unusable key: ${reason}`)
  }
}

/** True for a source map's path, also percent-encoded; a path that does not decode counts too. */
/**
 * The keys sealing TOTP secrets: `BATON_MFA_KEY`, or one generated now. Like the generated
 * signing keys, a generated key does not survive a restart; `loadConfig` allows that only where
 * the factors do not survive it either (the memory store) or outside production.
 */
function mfaKeys(config: DemoConfig, logger: Pick<Console, 'warn'>): string[] | Uint8Array {
  if (config.mfaKeys !== null) return config.mfaKeys
  // The memory store forgets the factors with the key: nothing to warn about.
  if (config.store.kind !== 'memory') {
    logger.warn(
      `[demo] BATON_MFA_KEY is unset: generated a key for TOTP secrets. Authenticator apps ` +
        `enrolled now stop working after a restart, though BATON_STORE=${config.store.kind} keeps them.`,
    )
  }
  return crypto.getRandomValues(new Uint8Array(32))
}

function isSourceMap(path: string): boolean {
  try {
    return SOURCE_MAP.test(decodeURIComponent(path))
  } catch {
    return true
  }
}

function spaRoutes(app: Hono, staticDir: string, refreshMargin: number) {
  let template: string
  try {
    template = readFileSync(join(staticDir, 'index.html'), 'utf8')
  } catch {
    throw new Error(
      `The SPA is not built (${join(staticDir, 'index.html')} is missing): run "pnpm --filter @baton/demo build".`,
    )
  }
  const html = template.replaceAll(REFRESH_MARGIN_PLACEHOLDER, String(refreshMargin))
  const sendIndex = (c: Context) => {
    c.header('cache-control', 'no-cache')
    return c.html(html)
  }

  // Vite fingerprints everything under /assets, so it may be cached for good.
  app.use('/assets/*', async (c, next) => {
    if (isSourceMap(c.req.path)) return c.notFound()
    await next()
    if (c.res.status === 200) c.header('cache-control', 'public, max-age=31536000, immutable')
    return undefined
  })
  app.get('/assets/*', serveStatic({ root: staticDir }))
  app.get('/favicon.svg', serveStatic({ root: staticDir }))
  // Client-side routes (/, /login, /devices, …) all get the app's HTML.
  app.get('*', (c) => {
    if (SERVER_PATHS.test(c.req.path) || c.req.path.startsWith('/assets/')) return c.notFound()
    return sendIndex(c)
  })
}

/**
 * Builds the demo server from a {@link DemoConfig}: opens the store, loads the signing keys and
 * hashes the demo passwords. Throws a `ConfigError` naming the variable when the store or the
 * keys cannot be used.
 *
 * @example
 * ```ts
 * const events: BffEvent[] = []
 * const demo = await createDemoApp(loadConfig({ PORT: '0' }, 'production'), {
 *   onEvent: (event) => events.push(event),
 *   log: null,
 * })
 * const response = await demo.app.request('/api/notes')
 * ```
 */
export async function createDemoApp(
  config: DemoConfig,
  options: DemoAppOptions = {},
): Promise<DemoApp> {
  const logger = options.logger ?? console
  const log =
    options.log === undefined
      ? (line: string) => void process.stdout.write(`${line}\n`)
      : options.log
  const keys = await loadKeys(config, logger)
  const store = await openStore(config.store)
  const users = options.users ?? (await createUserDirectory())
  const hub = createEventHub()

  const bff = createBff({
    keys,
    store,
    issuer: ISSUER,
    audience: AUDIENCE,
    authenticate: (credentials) => users.authenticate(credentials),
    accessTokenTtl: config.accessTokenTtl,
    idleTimeout: config.idleTimeout,
    absoluteTimeout: config.absoluteTimeout,
    gracePeriod: config.gracePeriod,
    freshAuthMaxAge: config.stepUpMaxAge,
    cookie: { secure: config.cookieSecure },
    ...(config.allowedOrigins === null ? {} : { allowedOrigins: config.allowedOrigins }),
    ...(config.dpopNonce === null ? {} : { dpop: { nonce: config.dpopNonce } }),
    onEvent: (event) => {
      log?.(JSON.stringify({ msg: 'bff_event', ...event }))
      hub.publish(event)
      options.onEvent?.(event)
    },
    logger,
    ...(options.oidc ? { oidc: options.oidc } : {}),
    // TOTP, recovery codes and passkeys. The relying party is the page's own host (or the first
    // of BATON_ALLOWED_ORIGINS): browsers refuse passkeys on an IP address, so use localhost.
    mfa: { encryptionKey: mfaKeys(config, logger), issuer: 'Baton demo', rpName: 'Baton demo' },
  })
  const api = createDemoApi({
    jwks: keys,
    issuer: ISSUER,
    audience: AUDIENCE,
    users,
    checkRevoked: store,
    maxTokenAge: config.accessTokenTtl,
    stepUpMaxAge: config.stepUpMaxAge,
    ...(config.dpopNonce === null ? {} : { dpopNonce: config.dpopNonce }),
  })

  const app = new Hono()
  app.use(securityHeaders())
  app.route('/', bff)
  // Before the demo API: the console has its own guard (bearer token and the admin role).
  app.route(
    '/api/admin',
    createAdminApi({
      requireAuth: bff.requireAuth(),
      admin: bff.admin,
      store,
      users,
      hub,
      allowedOrigins: config.allowedOrigins,
    }),
  )
  app.route('/api', api)
  const staticDir =
    options.staticDir === undefined
      ? config.mode === 'production'
        ? DEMO_DIST_DIR
        : null
      : options.staticDir
  if (staticDir !== null) spaRoutes(app, staticDir, config.refreshMargin)
  // Hono keeps a mounted app's onError for its own routes but not its notFound: the BFF's JSON tail
  // answers everything else too.
  app.notFound(bffNotFound)
  app.onError(bffErrorHandler({ logger }))

  return { app, keys, store, users, hub, close: () => store.close() }
}
