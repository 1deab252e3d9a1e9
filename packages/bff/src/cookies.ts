/**
 * @module
 * The refresh cookie's attributes, in one place: HttpOnly (no script can read it), Secure,
 * SameSite=Strict (never sent on a cross-site request) and a Path limited to the auth routes.
 */
import type { Context } from 'hono'
import { generateCookie, getCookie, setCookie } from 'hono/cookie'
import type { BffConfig } from './options.js'

type CookieConfig = Pick<BffConfig, 'cookie'>

const attributes = (config: CookieConfig) =>
  ({
    httpOnly: true,
    secure: config.cookie.secure,
    sameSite: 'Strict',
    path: config.cookie.path,
  }) as const

/** @internal */
export const readRefreshCookie = (c: Context, config: CookieConfig): string | undefined =>
  getCookie(c, config.cookie.name)

/**
 * Browsers cap cookie lifetimes at 400 days (RFC 6265bis, "The Max-Age Attribute") and Hono
 * refuses to write a longer Max-Age; a longer session simply gets a fresh cookie on each refresh.
 */
const MAX_COOKIE_AGE_SECONDS = 400 * 24 * 60 * 60

/** @internal `maxAge` in seconds: never beyond the session's absolute deadline. */
export const setRefreshCookie = (c: Context, config: CookieConfig, value: string, maxAge: number) =>
  setCookie(c, config.cookie.name, value, {
    ...attributes(config),
    maxAge: Math.min(maxAge, MAX_COOKIE_AGE_SECONDS),
  })

/** @internal A `Set-Cookie` value that removes the refresh cookie. */
export const clearedRefreshCookie = (config: CookieConfig): string =>
  generateCookie(config.cookie.name, '', {
    ...attributes(config),
    maxAge: 0,
    expires: new Date(0),
  })
