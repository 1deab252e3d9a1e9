/**
 * @module
 * The BFF's JSON error tail: the handlers `createBff()` installs, exported so that the app it is
 * mounted in answers in the same shape. Hono's `route()` keeps a sub-app's error handler but not its
 * not-found handler, so a route nobody matched is answered by the host app's `notFound`.
 */
import type { ErrorHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { BffError, isBffError } from './errors.js'
import { loggableLogger } from './loggable.js'

/** Options of {@link bffErrorHandler}. */
export interface BffErrorHandlerOptions {
  /**
   * Where the cause of every 5xx goes. It is logged, never sent.
   * @default console
   */
  logger?: Pick<Console, 'error'>
}

/**
 * An `onError` handler that answers every error as `{ "error": { "code", "message" } }`: a
 * {@link BffError} as itself, a 4xx `HTTPException` (a body limit, a validator) as
 * `invalid_request` or `payload_too_large` with its status, and anything else as a 500 `internal`
 * whose cause is logged. `createBff()` uses it for its own routes, which keep it when mounted;
 * pass it to the host app's `onError` so the host's routes answer in the same shape.
 *
 * @param options where the cause of a 5xx is logged
 * @returns a handler for `app.onError()`
 * @see https://hono.dev/docs/api/hono#error-handling
 *
 * @example
 * ```ts
 * import { Hono } from 'hono'
 * import { bffErrorHandler, bffNotFound, createBff } from '@baton/bff'
 *
 * const app = new Hono()
 * app.route('/api', createBff({ keys, authenticate }))
 * app.onError(bffErrorHandler({ logger }))
 * app.notFound(bffNotFound)
 * ```
 */
export function bffErrorHandler(options: BffErrorHandlerOptions = {}): ErrorHandler {
  const logger = loggableLogger(options.logger ?? console)
  return function bffErrorHandler(error, c) {
    if (isBffError(error)) {
      if (error.status >= 500) logger.error(`[baton] ${error.code}`, error.cause ?? error)
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
    logger.error(`[baton] unexpected error on ${c.req.method} ${c.req.path}`, error)
    return new BffError(500, 'internal', 'Something went wrong on our side.').getResponse()
  }
}

/**
 * A `notFound` handler answering 404 `{ "error": { "code": "not_found", … } }`. Hono drops a
 * sub-app's `notFound` when it is mounted, so a host app that mounts the BFF passes this to its own
 * `notFound` to keep unknown routes in the JSON shape.
 *
 * @see https://hono.dev/docs/api/hono#not-found
 *
 * @example
 * ```ts
 * app.route('/api', createBff({ keys, authenticate }))
 * app.notFound(bffNotFound)
 * ```
 */
export const bffNotFound: NotFoundHandler = function bffNotFound() {
  return new BffError(404, 'not_found', 'No such route.').getResponse()
}
