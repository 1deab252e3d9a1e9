/**
 * @module
 * `createBff()`: the backend-for-frontend as a Hono app.
 */
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { BffEnv } from './env.js'
import { BffError, isBffError } from './errors.js'
import { normalizeOptions, type BffOptions } from './options.js'
import { authRoutes } from './routes/auth.js'
import { jwksRoutes } from './routes/jwks.js'
import { sessionRoutes } from './routes/sessions.js'
import { createSessionService } from './session-service.js'

/**
 * Creates the BFF: `POST {basePath}/login`, `/refresh`, `/logout`, `GET {basePath}/sessions`,
 * `DELETE {basePath}/sessions/:id` and `GET /.well-known/jwks.json`. Every response is JSON and
 * every error is `{ "error": { "code", "message" } }`, also when the app is mounted elsewhere.
 * Bad options throw a `TypeError` here, before any request.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { createBff, createSigningKeys, memoryStore } from '@baton/bff'
 *
 * const keys = createSigningKeys({ keys: process.env.BATON_SIGNING_KEYS })
 * const app = new Hono()
 * app.route('/', createBff({ keys, store: memoryStore(), authenticate: checkPassword }))
 * ```
 */
export function createBff(options: BffOptions): Hono<BffEnv> {
  const config = normalizeOptions(options)
  const sessions = createSessionService(config)
  const app = new Hono<BffEnv>()

  app.onError((error, c) => {
    if (isBffError(error)) {
      if (error.status >= 500) config.logger.error(`[baton] ${error.code}`, error.cause ?? error)
      return error.getResponse()
    }
    // Hono's own middleware (body limit, a thrown HTTPException) keeps its status, with our shape.
    if (error instanceof HTTPException && error.status < 500) {
      const code = error.status === 413 ? 'payload_too_large' : 'invalid_request'
      return new BffError(
        error.status,
        code,
        error.message || 'The request is invalid.',
      ).getResponse()
    }
    config.logger.error(`[baton] unexpected error on ${c.req.method} ${c.req.path}`, error)
    return new BffError(500, 'internal', 'Something went wrong on our side.').getResponse()
  })
  app.notFound(() => new BffError(404, 'not_found', 'No such route.').getResponse())

  app.route(config.basePath, authRoutes(config, sessions))
  app.route(config.basePath, sessionRoutes(config, sessions))
  app.route('/', jwksRoutes(config))
  return app
}
