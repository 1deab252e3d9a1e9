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
 *
 * A refusal says which check failed, in words that never repeat what the request wrote; the
 * `csrf_failed` event carries the request's own values for the server's log.
 */
import { CSRF_HEADER, CSRF_HEADER_VALUE } from '@baton/protocol'
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { BffError } from '../errors.js'
import type { CsrfFailedEvent, CsrfFailureReason } from '../events.js'
import type { BffConfig } from '../options.js'
import { requestMeta } from '../request-meta.js'

/**
 * What the 403 body says for each reason. Fixed sentences on purpose: an error text is no place
 * for what the request wrote (issue 12), and the allowlist is the server's business.
 */
const MESSAGES: Record<CsrfFailureReason, string> = {
  header_missing: `The ${CSRF_HEADER.toUpperCase()}: ${CSRF_HEADER_VALUE} header is missing; every call to the auth routes must send it (@baton/client does).`,
  origin_not_allowed:
    'This origin is not allowed to call the auth routes; add it to the BFF’s allowedOrigins.',
  cross_site:
    'The browser marked this request as not same-origin (Sec-Fetch-Site) and sent no Origin; only an allowed origin may call the auth routes.',
  origin_missing:
    'The request has neither an Origin header nor Sec-Fetch-Site: same-origin; only a browser on an allowed origin may call the auth routes.',
}

/** Request header values in an event are cut here, like the user agent, to keep log lines small. */
const MAX_HEADER_LENGTH = 512

type CsrfConfig = Pick<BffConfig, 'isAllowedOrigin' | 'emit' | 'now' | 'clientIp'>

function failure(c: Context, config: CsrfConfig): CsrfFailureReason | null {
  if (c.req.header(CSRF_HEADER) !== CSRF_HEADER_VALUE) return 'header_missing'
  const origin = c.req.header('origin')
  // "null" is what sandboxed frames and some redirects send; it is never in an allowlist.
  if (origin !== undefined) return config.isAllowedOrigin(origin, c) ? null : 'origin_not_allowed'
  const site = c.req.header('sec-fetch-site')
  if (site === 'same-origin') return null
  return site === undefined ? 'origin_missing' : 'cross_site'
}

/**
 * @internal The CSRF check of the cookie routes as a plain call: returns when the request passes,
 * throws `403 csrf_failed` (after a `csrf_failed` event) when it does not.
 */
export const csrfCheck =
  (config: CsrfConfig) =>
  (c: Context, route: CsrfFailedEvent['route']): void => {
    const reason = failure(c, config)
    if (reason === null) return
    config.emit({
      type: 'csrf_failed',
      route,
      reason,
      origin: c.req.header('origin')?.slice(0, MAX_HEADER_LENGTH) ?? null,
      secFetchSite: c.req.header('sec-fetch-site')?.slice(0, MAX_HEADER_LENGTH) ?? null,
      at: config.now(),
      ...requestMeta(config, c),
    })
    throw new BffError(403, 'csrf_failed', MESSAGES[reason])
  }

/** @internal The CSRF check of one cookie route; refusals are `403 csrf_failed` and an event. */
export const requireCsrfHeaders = (config: CsrfConfig) => {
  const check = csrfCheck(config)
  return (route: CsrfFailedEvent['route']) =>
    createMiddleware(async function csrf(c, next) {
      check(c, route)
      return next()
    })
}
