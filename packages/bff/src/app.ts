/**
 * @module
 * `createBff()`: the backend-for-frontend as a Hono app.
 */
import type { BaseUser, SessionUser } from '@baton/protocol'
import { Hono, type MiddlewareHandler } from 'hono'
import { createSessionAdmin, type SessionAdmin } from './admin.js'
import type { BffEnv, RequireAuthVariables } from './env.js'
import { bffErrorHandler, bffNotFound } from './error-handler.js'
import { bffRequireAuth, type BffRequireAuthOptions } from './middleware/bff-require-auth.js'
import { normalizeOptions } from './normalize-options.js'
import { installOidc } from './oidc/plugin.js'
import type { BffOptions } from './options.js'
import { authRoutes } from './routes/auth.js'
import { jwksRoutes } from './routes/jwks.js'
import { mfaRoutes } from './mfa/routes.js'
import { sessionRoutes } from './routes/sessions.js'
import { createRevoker } from './session-revocation.js'
import { createSessionService } from './session-service.js'

/**
 * What `createBff()` returns: the Hono app to mount, plus {@link SessionAdmin} for ending sessions
 * from application code.
 */
export type Bff = Hono<BffEnv> & {
  /** Ends sessions from application code (a disabled user, a failed logout to finish). */
  readonly admin: SessionAdmin
  /**
   * `requireAuth()` for this BFF's tokens, with nothing to repeat: its signing keys, `issuer`,
   * `audience`, `accessTokenTtl` (as `maxTokenAge`), its store for revocations (`checkRevoked`)
   * and its clock. Options override the rest. Each call subscribes to the store's revocations
   * for as long as the store lives, so create the middleware once, not per request. A service in
   * another process verifies with `requireAuth({ jwks: 'https://…/.well-known/jwks.json', … })`.
   *
   * @example
   * ```ts
   * const bff = createBff({ keys, store, authenticate, issuer: 'shop', audience: 'shop-api' })
   * const app = new Hono<{ Variables: RequireAuthVariables }>()
   * app.route('/', bff)
   * app.use('/api/*', bff.requireAuth())
   * app.get('/api/me', (c) => c.json({ id: c.var.userId }))
   * ```
   */
  requireAuth(
    options?: BffRequireAuthOptions,
  ): MiddlewareHandler<{ Variables: RequireAuthVariables }>
}

/**
 * Creates the BFF: `POST {basePath}/login`, `/refresh`, `/logout`, `GET {basePath}/sessions`,
 * `DELETE {basePath}/sessions/:id` and `GET /.well-known/jwks.json`. Every response is JSON and
 * every error of these routes is `{ "error": { "code", "message" } }`, also when the app is
 * mounted elsewhere (Hono keeps a sub-app's error handler). Hono does not keep a sub-app's
 * not-found handler, so a host app that wants unknown routes answered in the same shape passes
 * {@link bffNotFound} (and {@link bffErrorHandler} for its own routes) to its own handlers.
 * With `cookie: { scope: 'auth-path' }` and mounted under a prefix, the BFF scopes its refresh
 * cookie to the prefixed auth routes by itself. Bad options throw a `TypeError` here, before any
 * request. The returned app carries `admin` ({@link SessionAdmin}) to end sessions from
 * application code, for example when an account is disabled.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { bffErrorHandler, bffNotFound, createBff, createSigningKeys } from '@baton/bff'
 *
 * const keys = createSigningKeys({
 *   keys: process.env.BATON_SIGNING_KEYS,
 *   source: 'BATON_SIGNING_KEYS',
 * })
 * const bff = createBff({
 *   keys,
 *   authenticate: checkPassword,
 *   validateSession: async (session) => !(await users.isDisabled(session.userId)),
 * })
 * const app = new Hono()
 * app.route('/api', bff) // routes under /api/auth, cookie __Host-baton_rt on Path=/
 * app.use('/api/notes/*', bff.requireAuth()) // this BFF's issuer, audience, keys and store
 * app.onError(bffErrorHandler())
 * app.notFound(bffNotFound)
 *
 * // An administrator disables an account: its sessions end now, not at their deadlines.
 * await bff.admin.revokeUser(userId)
 * ```
 */
export function createBff<TUser extends BaseUser = SessionUser>(options: BffOptions<TUser>): Bff {
  const config = normalizeOptions(options)
  const revoker = createRevoker(config)
  const sessions = createSessionService(config, revoker)
  const app = new Hono<BffEnv>()

  app.onError(bffErrorHandler({ logger: config.logger }))
  app.notFound(bffNotFound)

  // `@baton/bff/oidc` hands over its routes; the core never imports openid-client itself.
  const oidc = options.oidc ? installOidc(options.oidc, { config, sessions, revoker }) : null
  // Second factors (`mfa/`): their own routes, a hook on password login and on step-up.
  const mfa = config.mfa ? mfaRoutes(config, config.mfa, sessions) : null
  app.route(
    config.basePath,
    authRoutes(config, sessions, {
      afterLogout: oidc?.afterLogout,
      secondFactor: mfa ?? undefined,
    }),
  )
  if (mfa) app.route(config.basePath, mfa.routes)
  if (oidc) app.route(config.basePath, oidc.routes)
  app.route(config.basePath, sessionRoutes(config, sessions))
  app.route('/', jwksRoutes(config))
  return Object.assign(app, {
    admin: createSessionAdmin(config, revoker, sessions),
    requireAuth: bffRequireAuth(config),
  })
}
