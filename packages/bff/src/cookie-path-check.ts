/**
 * @module
 * A pinned `cookie.path` that cannot reach the refresh route fails silently: login works, the
 * browser never sends the cookie to `/refresh`, every refresh answers `401 no_session`, and a
 * reload signs the user out, with nothing logged on either side (issue 19). This check notices
 * it on the first request that shows the mount, and says so once, in the server's log only.
 * @internal
 */
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { authRoutesPath } from './cookies.js'
import type { BffConfig } from './options.js'

/**
 * @internal Whether a cookie on `cookiePath` is sent with a request to `requestPath`: the path-match of
 * RFC 6265 §5.1.4 (the same path, or a prefix of it that ends at a "/").
 */
export function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true
  if (!requestPath.startsWith(cookiePath)) return false
  return cookiePath.endsWith('/') || requestPath.charAt(cookiePath.length) === '/'
}

/**
 * @internal Warns once through `logger.warn` when the pinned `cookie.path` does not cover the
 * refresh route where this BFF is mounted. A cookie that follows the mount (no `cookie.path`) or
 * lives on `Path=/` (scope `'root'`) always covers it, so those pass straight through.
 */
export function cookiePathCheck(
  config: Pick<BffConfig, 'cookie' | 'logger'>,
  check: (c: Context) => void = cookiePathWarning(config),
) {
  return createMiddleware(async function cookiePathCheck(c, next) {
    check(c)
    await next()
  })
}

/**
 * @internal {@link cookiePathCheck} as a plain call, for a route that runs its guards itself; pass
 * the same one to `cookiePathCheck` so the warning still comes once.
 */
export function cookiePathWarning(
  config: Pick<BffConfig, 'cookie' | 'logger'>,
): (c: Context) => void {
  const pinned = config.cookie.scope === 'auth-path' ? config.cookie.path : null
  // Once is enough: the mount does not change while the app runs, and a log line per request
  // would bury everything else.
  let warned = false
  return (c) => {
    if (pinned !== null && !warned) {
      const authPath = authRoutesPath(c)
      const refreshPath = `${authPath === '/' ? '' : authPath}/refresh`
      if (!pathMatches(refreshPath, pinned)) {
        warned = true
        config.logger.warn(
          `[baton] cookie.path "${pinned}" does not cover the refresh route "${refreshPath}": ` +
            'browsers will not send the refresh cookie there, so every refresh answers 401 ' +
            'no_session and a reload signs the user out. Leave cookie.path out to let the ' +
            `cookie follow the mount, or set it to "${authPath}".`,
        )
      }
    }
  }
}
