/**
 * @module
 * `createBff()`: the backend-for-frontend as a Hono app.
 */
import { Hono } from 'hono'
import type { BffEnv } from './env.js'
import { bffErrorHandler, bffNotFound } from './error-handler.js'
import { normalizeOptions } from './normalize-options.js'
import type { BffOptions } from './options.js'
import { authRoutes } from './routes/auth.js'
import { jwksRoutes } from './routes/jwks.js'
import { sessionRoutes } from './routes/sessions.js'
import { createSessionService } from './session-service.js'

/**
 * Creates the BFF: `POST {basePath}/login`, `/refresh`, `/logout`, `GET {basePath}/sessions`,
 * `DELETE {basePath}/sessions/:id` and `GET /.well-known/jwks.json`. Every response is JSON and
 * every error of these routes is `{ "error": { "code", "message" } }`, also when the app is
 * mounted elsewhere (Hono keeps a sub-app's error handler). Hono does not keep a sub-app's
 * not-found handler, so a host app that wants unknown routes answered in the same shape passes
 * {@link bffNotFound} (and {@link bffErrorHandler} for its own routes) to its own handlers.
 * Mounted under a prefix, the BFF scopes its refresh cookie to the prefixed auth routes by itself.
 * Bad options throw a `TypeError` here, before any request.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { bffErrorHandler, bffNotFound, createBff, createSigningKeys } from '@baton/bff'
 *
 * const keys = createSigningKeys({ keys: process.env.BATON_SIGNING_KEYS })
 * const app = new Hono()
 * app.route('/api', createBff({ keys, authenticate: checkPassword })) // cookie Path=/api/auth
 * app.onError(bffErrorHandler())
 * app.notFound(bffNotFound)
 * ```
 */
export function createBff(options: BffOptions): Hono<BffEnv> {
  const config = normalizeOptions(options)
  const sessions = createSessionService(config)
  const app = new Hono<BffEnv>()

  app.onError(bffErrorHandler({ logger: config.logger }))
  app.notFound(bffNotFound)

  app.route(config.basePath, authRoutes(config, sessions))
  app.route(config.basePath, sessionRoutes(config, sessions))
  app.route('/', jwksRoutes(config))
  return app
}
