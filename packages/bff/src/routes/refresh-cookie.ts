/**
 * @module
 * The refresh cookie as every cookie route reads it (login, its second-factor and passkey forms,
 * refresh, reauthenticate, logout): one value or none, never one of two.
 * @internal
 */
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { clearedSessionCookies, refreshCookieValues } from '../cookies.js'
import type { CookieConflictEvent } from '../events.js'
import type { BffConfig } from '../options.js'
import { requestMeta } from '../request-meta.js'
import { cookieConflict } from '../session-errors.js'
import { parseRefreshToken } from '../tokens/refresh.js'

/** At most this many session ids go into a `cookie_conflict` event. */
const MAX_REPORTED_IDS = 8

/** @internal What the cookie routes put on `c.var`. */
export interface RefreshCookieEnv {
  Variables: {
    /** The one value of the refresh cookie, if the request carried it (exactly once). */
    refreshCookie: string | undefined
  }
}

/** @internal */
export function refreshCookieRules(config: BffConfig) {
  // A `BffError`'s headers hold one value per name, and these answers carry two `Set-Cookie`
  // headers, so they are added to the finished response.
  const clearing = (c: Context, res: Response): Response => {
    for (const cookie of clearedSessionCookies(c, config)) res.headers.append('set-cookie', cookie)
    return res
  }

  /**
   * The refresh cookie's one value, if any. A request carrying its name twice has a cookie planted
   * beside the real one by another Domain or Path (cookie tossing): taking either could swap the
   * user into the planter's session, so neither is taken. The answer is then a `Response`:
   * `401 no_session` with the cookies cleared, after a `cookie_conflict` event.
   */
  const read = (c: Context, route: CookieConflictEvent['route']): string | undefined | Response => {
    const values = refreshCookieValues(c, config)
    if (values.length <= 1) return values[0]
    const claimed = values.map((value) => parseRefreshToken(value)?.sessionId)
    const sessionIds = [...new Set(claimed.filter((id) => id !== undefined))]
    config.emit({
      type: 'cookie_conflict',
      route,
      count: values.length,
      sessionIds: sessionIds.slice(0, MAX_REPORTED_IDS),
      at: config.now(),
      ...requestMeta(config, c),
    })
    return clearing(c, cookieConflict().getResponse())
  }

  return {
    clearing,
    /** The refresh route's inline form of the middleware below (see `auth.ts`). */
    readRefreshCookie: read,
    /**
     * The cookie's one value on `c.var.refreshCookie`, read before the route checks or spends
     * anything (a ticket, a code, a passkey challenge): two of them are answered at once.
     */
    refreshCookie: (route: CookieConflictEvent['route']) =>
      createMiddleware<RefreshCookieEnv>(async function refreshCookie(c, next) {
        const cookie = read(c, route)
        if (typeof cookie === 'object') return cookie
        c.set('refreshCookie', cookie)
        return next()
      }),
  }
}
