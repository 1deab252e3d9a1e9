/**
 * @module
 * The rule of the navigation routes (`/oidc/login`, `/oidc/callback`, `/oidc/logout`): the browser
 * is on a top-level page, not in `fetch`, so a failure is a redirect to the app's `errorPath` with
 * a stable `oidc_error` code (for a sign-in also an `oidc_login_failed` event), never a JSON error
 * page and never a 500.
 * @internal
 */
import type { Context } from 'hono'
import type { BffConfig } from '../options.js'
import { isBffError } from '../errors.js'
import { requestMeta } from '../request-meta.js'
import { OIDC_ERROR_CODES, OIDC_ERROR_PARAM, type OidcErrorCode } from './error-codes.js'
import type { OidcConfig } from './options.js'
import { ProviderUnavailable } from './provider.js'

/** @internal A failed sign-in, with its `oidc_error` code. */
export class OidcLoginError extends Error {
  override readonly name = 'OidcLoginError'
  constructor(
    readonly code: OidcErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

// A BffError from the session service (`session_limit`, `store_unavailable`, `rate_limited`, …)
// keeps its code when it is one of the list; anything else is the provider's doing.
const asCode = (code: string): OidcErrorCode =>
  (OIDC_ERROR_CODES as readonly string[]).includes(code)
    ? (code as OidcErrorCode)
    : 'provider_error'

/**
 * @internal What a navigation is for: a sign-in (`/oidc/login`, `/oidc/callback`), or the way to
 * the provider's end-session page after `POST /logout` (`/oidc/logout`), whose Baton session is
 * already over: its failure is logged, never reported as a failed sign-in.
 */
export type NavigationKind = 'sign-in' | 'sign-out'

/** Codes worth a log line: the operator, not the user, has something to look at. */
const LOGGED = new Set<OidcErrorCode>([
  'provider_error',
  'provider_unavailable',
  'store_unavailable',
])

/**
 * @internal Wraps a navigation handler: what it throws as an {@link OidcLoginError}, a
 * `ProviderUnavailable` or a `BffError` becomes a 302 to `errorPath?oidc_error=<code>`; anything
 * else (a bug, a `mapUser` returning garbage) goes on to the BFF's error handler.
 */
export function navigation(config: BffConfig, oidcConfig: OidcConfig) {
  const fail = (c: Context, error: OidcLoginError, kind: NavigationKind) => {
    if (LOGGED.has(error.code)) {
      config.logger.warn(
        `[baton] OpenID Connect ${kind} failed: ${error.code}`,
        error.cause ?? error,
      )
    }
    if (kind === 'sign-in') {
      config.emit({
        type: 'oidc_login_failed',
        code: error.code,
        at: config.now(),
        ...requestMeta(config, c),
      })
    }
    c.header('cache-control', 'no-store')
    const target = `${oidcConfig.errorPath}?${OIDC_ERROR_PARAM}=${encodeURIComponent(error.code)}`
    return c.redirect(target, 302)
  }

  return (handler: (c: Context) => Promise<Response>, kind: NavigationKind = 'sign-in') =>
    async function oidcNavigation(c: Context) {
      try {
        return await handler(c)
      } catch (error) {
        if (error instanceof OidcLoginError) return fail(c, error, kind)
        if (error instanceof ProviderUnavailable) {
          return fail(
            c,
            new OidcLoginError('provider_unavailable', error.message, { cause: error }),
            kind,
          )
        }
        if (isBffError(error)) {
          return fail(
            c,
            new OidcLoginError(asCode(error.code), error.message, { cause: error }),
            kind,
          )
        }
        throw error
      }
    }
}
