/**
 * @module
 * CSRF defence for the cookie-authenticated routes (login, refresh, logout).
 *
 * Hono's `csrf()` only inspects requests a plain HTML form could send (form and text/plain
 * content types), because it protects cookie sessions against form posts. Baton's routes also take
 * JSON and empty bodies, so every one of them needs both checks below, whatever its content type:
 * - the `X-CSRF: 1` header, which no form or simple cross-site request can carry and which forces a
 *   CORS preflight on fetch (the pattern Duende BFF uses);
 * - an `Origin` from the allowlist, or `Sec-Fetch-Site: same-origin` when a browser sent no Origin.
 */
import { CSRF_HEADER, CSRF_HEADER_VALUE } from '@baton/protocol'
import { createMiddleware } from 'hono/factory'
import { BffError } from '../errors.js'
import type { BffConfig } from '../options.js'

const denied = (message: string) => new BffError(403, 'csrf_failed', message)

/** @internal */
export const requireCsrfHeaders = (config: Pick<BffConfig, 'isAllowedOrigin'>) =>
  createMiddleware(async function csrf(c, next) {
    if (c.req.header(CSRF_HEADER) !== CSRF_HEADER_VALUE) {
      throw denied(`The ${CSRF_HEADER.toUpperCase()}: ${CSRF_HEADER_VALUE} header is required.`)
    }
    const origin = c.req.header('origin')
    if (origin !== undefined) {
      // "null" is what sandboxed frames and some redirects send; it is never in an allowlist.
      // The Origin is not echoed: an error text is no place for what the request wrote.
      if (!config.isAllowedOrigin(origin, c)) {
        throw denied('The Origin of this request is not allowed.')
      }
    } else if (c.req.header('sec-fetch-site') !== 'same-origin') {
      throw denied('An allowed Origin (or Sec-Fetch-Site: same-origin) is required.')
    }
    await next()
  })
