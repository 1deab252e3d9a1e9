/**
 * @module
 * The BFF's two cookies, in one place.
 * - The refresh cookie: HttpOnly (no script can read it), Secure, SameSite=Strict (never sent on a
 *   cross-site request), by default `__Host-` on Path=/ (no sibling subdomain can plant one), or
 *   `__Secure-` with a Path limited to the auth routes wherever the BFF is mounted
 *   (`cookie.scope`, whose TSDoc weighs the two).
 * - The session hint: a tag of the session, readable by scripts, on Path=/, set and cleared
 *   together with the refresh cookie. It holds nothing secret (see `BffOptions.sessionHintCookie`).
 */
import type { Context } from 'hono'
import { generateCookie, setCookie } from 'hono/cookie'
import { basePath } from 'hono/route'
import { primitives } from '#crypto'
import type { BffConfig } from './options.js'

type CookieConfig = Pick<BffConfig, 'cookie' | 'sessionHintCookie'>

/**
 * Browsers cap cookie lifetimes at 400 days (RFC 6265bis, "The Max-Age Attribute") and Hono
 * refuses to write a longer Max-Age; a longer session simply gets a fresh cookie on each refresh.
 */
const MAX_COOKIE_AGE_SECONDS = 400 * 24 * 60 * 60

// Anything but the characters a path may carry as they are: percent-encoded again, because
// `basePath(c)` is decoded while browsers match a cookie's Path against the encoded request path.
const NEEDS_ENCODING = /[^A-Za-z0-9\-._~!$&'()*+=:@/%]/gu

/**
 * @internal The refresh cookie's `Path` for this request: `/` for scope `'root'`, `cookie.path`
 * when it was pinned, otherwise the path the auth routes answer on, with whatever prefix the host
 * app mounted the BFF under (`app.route('/api', bff)` gives `/api/auth`). Hono's `basePath(c)`
 * reports it per request, so the mount point is the one source of truth.
 */
export function refreshCookiePath(c: Context, config: CookieConfig): string {
  return config.cookie.path ?? authRoutesPath(c)
}

/**
 * @internal The path the auth routes answer on for this request, mount prefix included, in the
 * encoded form browsers match cookie paths against.
 */
export function authRoutesPath(c: Context): string {
  const mounted = basePath(c).replace(/\/+$/, '') || '/'
  // No lone surrogate can reach here (URLs carry UTF-8, and Hono leaves invalid sequences
  // encoded), so encodeURIComponent cannot throw.
  return mounted.replace(NEEDS_ENCODING, encodeURIComponent)
}

const refreshAttributes = (c: Context, config: CookieConfig) =>
  ({
    httpOnly: true,
    secure: config.cookie.secure,
    sameSite: 'Strict',
    path: refreshCookiePath(c, config),
  }) as const

// Path=/ so that every page of the SPA reads it from `document.cookie`; not HttpOnly for the same
// reason. Secure follows the refresh cookie, so both travel (or not) over the same scheme.
const hintAttributes = (config: CookieConfig) =>
  ({ secure: config.cookie.secure, sameSite: 'Strict', path: '/' }) as const

const CLEARED = { maxAge: 0, expires: new Date(0) } as const

/**
 * @internal Every value the request's `Cookie` header carries under the refresh cookie's name, in
 * order. Read from the raw header because a cookie parser keeps one value per name, while a
 * browser sends two cookies of one name when another Domain or Path planted the second (cookie
 * tossing), and the caller must see that rather than whichever came first. Values are as sent;
 * a refresh token is base64url, so anything quoted or encoded is not one anyway.
 */
export function refreshCookieValues(c: Context, config: CookieConfig): string[] {
  const header = c.req.header('cookie')
  if (header === undefined) return []
  const values: string[] = []
  for (const pair of header.split(';')) {
    const separator = pair.indexOf('=')
    if (separator === -1) continue
    if (pair.slice(0, separator).trim() === config.cookie.name) {
      values.push(pair.slice(separator + 1).trim())
    }
  }
  return values
}

/** What follows `; Max-Age=…` in each cookie, as Hono writes it (the hint's is `null` when off). */
interface CookieTails {
  refresh: string
  hint: string | null
}

/** Past this many distinct paths (a mount with parameters), tails are no longer kept. */
const MAX_CACHED_PATHS = 64
const tailsByConfig = new WeakMap<CookieConfig, Map<string, CookieTails>>()

// Everything of a `Set-Cookie` line but its value and Max-Age, for one config and cookie path.
// Hono's own `generateCookie` writes it (and checks the name and the `__Host-` rules), once.
const attributeTail = (name: string, options: Parameters<typeof generateCookie>[2]) =>
  generateCookie(name, '', options).slice(name.length + 1)

function cookieTails(config: CookieConfig, path: string): CookieTails {
  let byPath = tailsByConfig.get(config)
  if (!byPath) tailsByConfig.set(config, (byPath = new Map<string, CookieTails>()))
  let tails = byPath.get(path)
  if (!tails) {
    tails = {
      refresh: attributeTail(config.cookie.name, {
        httpOnly: true,
        secure: config.cookie.secure,
        sameSite: 'Strict',
        path,
      }),
      hint:
        config.sessionHintCookie === null
          ? null
          : attributeTail(config.sessionHintCookie, hintAttributes(config)),
    }
    if (byPath.size < MAX_CACHED_PATHS) byPath.set(path, tails)
  }
  return tails
}

/**
 * @internal The session hint's value for the session `sessionId`: 12 base64url characters of its
 * id's SHA-256. The same across the session's refreshes and new with every sign-in, so a page can
 * tell a session from the one before it (a sign-out left pending for the old one must not end a
 * new one signed in meanwhile, by a redirect the client did not see) without learning its id.
 */
export const sessionHintValue = (sessionId: string): string =>
  primitives.sha256Text(sessionId).slice(0, 12)

/**
 * @internal Sets the refresh cookie to `value` and the session hint beside it, both for `maxAge`
 * seconds (the session's remaining absolute lifetime, capped at what browsers keep). The lines are
 * Hono's `setCookie` output: its attributes are written once per path and reused, since login
 * and refresh set these two cookies on every answer.
 */
export function setSessionCookies(
  c: Context,
  config: CookieConfig,
  issued: { refreshToken: string; cookieMaxAge: number; sessionId: string },
) {
  const { refreshToken: value, cookieMaxAge: maxAge } = issued
  const lifetime = Math.min(maxAge, MAX_COOKIE_AGE_SECONDS)
  if (!(lifetime >= 0)) {
    // Hono leaves Max-Age out below 0; never the case for a live session, kept exact anyway.
    setCookie(c, config.cookie.name, value, { ...refreshAttributes(c, config), maxAge: lifetime })
    if (config.sessionHintCookie !== null) {
      setCookie(c, config.sessionHintCookie, sessionHintValue(issued.sessionId), {
        ...hintAttributes(config),
        maxAge: lifetime,
      })
    }
    return
  }
  const tails = cookieTails(config, refreshCookiePath(c, config))
  const age = `; Max-Age=${lifetime | 0}`
  c.header(
    'Set-Cookie',
    `${config.cookie.name}=${encodeURIComponent(value)}${age}${tails.refresh}`,
    {
      append: true,
    },
  )
  if (tails.hint !== null) {
    const hint = sessionHintValue(issued.sessionId)
    c.header('Set-Cookie', `${config.sessionHintCookie}=${hint}${age}${tails.hint}`, {
      append: true,
    })
  }
}

/** @internal The `Set-Cookie` values that remove the refresh cookie and the session hint. */
export function clearedSessionCookies(c: Context, config: CookieConfig): string[] {
  const cleared = [
    generateCookie(config.cookie.name, '', { ...refreshAttributes(c, config), ...CLEARED }),
  ]
  if (config.sessionHintCookie !== null) {
    cleared.push(
      generateCookie(config.sessionHintCookie, '', { ...hintAttributes(config), ...CLEARED }),
    )
  }
  return cleared
}
