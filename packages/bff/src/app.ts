/**
 * @module
 * `createBff()`: the backend-for-frontend as a Hono app.
 */
import { Hono } from 'hono'
import { createSessionAdmin, type SessionAdmin } from './admin.js'
import type { BffEnv } from './env.js'
import { bffErrorHandler, bffNotFound } from './error-handler.js'
import { normalizeOptions } from './normalize-options.js'
import type { BffOptions } from './options.js'
import { authRoutes } from './routes/auth.js'
import { jwksRoutes } from './routes/jwks.js'
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
 * const keys = createSigningKeys({ keys: process.env.BATON_SIGNING_KEYS })
 * const bff = createBff({
 *   keys,
 *   authenticate: checkPassword,
 *   validateSession: async (session) => !(await users.isDisabled(session.userId)),
 * })
 * const app = new Hono()
 * app.route('/api', bff) // routes under /api/auth, cookie __Host-baton_rt on Path=/
 * app.onError(bffErrorHandler())
 * app.notFound(bffNotFound)
 *
 * // An administrator disables an account: its sessions end now, not at their deadlines.
 * await bff.admin.revokeUser(userId)
 * ```
 */
export function createBff(options: BffOptions): Bff {
  const config = normalizeOptions(options)
  const revoker = createRevoker(config)
  const sessions = createSessionService(config, revoker)
  const app = new Hono<BffEnv>()

  app.onError(bffErrorHandler({ logger: config.logger }))
  app.notFound(bffNotFound)

  app.route(config.basePath, authRoutes(config, sessions))
  app.route(config.basePath, sessionRoutes(config, sessions))
  app.route('/', jwksRoutes(config))
  return Object.assign(app, { admin: createSessionAdmin(config, revoker) })
}
