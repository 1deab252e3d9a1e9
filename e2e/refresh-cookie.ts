/**
 * @module
 * The refresh cookie from outside the page: as the browser stores it, and replayed by a client
 * that is not the app (an attacker holding a copy).
 */
import type { BrowserContext, Cookie } from '@playwright/test'

/** The BFF's default refresh cookie name, which the demo keeps. */
export const REFRESH_COOKIE = 'baton_rt'

/**
 * The refresh cookie as the browser holds it, or `null`. Reads every cookie of the context: the
 * cookie's Path is `/auth`, so `context.cookies(appUrl)` would not list it.
 */
export async function refreshCookie(context: BrowserContext): Promise<Cookie | null> {
  const cookies = await context.cookies()
  return cookies.find((cookie) => cookie.name === REFRESH_COOKIE) ?? null
}

/** The User-Agent of {@link refreshWithCookie}. */
export const REPLAY_USER_AGENT = 'baton-e2e-replay'

/** What the BFF answered to a raw refresh. */
export interface RawRefresh {
  status: number
  /** `error.code` of the JSON body, if any. */
  code: string | null
  setCookie: string | null
}

/**
 * `POST /auth/refresh` from Node with `value` as the refresh cookie and valid CSRF headers (the
 * `X-CSRF: 1` header and the app's own Origin), so only the cookie decides the answer.
 */
export async function refreshWithCookie(appUrl: string, value: string): Promise<RawRefresh> {
  const response = await fetch(new URL('/auth/refresh', appUrl), {
    method: 'POST',
    headers: {
      'x-csrf': '1',
      origin: new URL(appUrl).origin,
      cookie: `${REFRESH_COOKIE}=${value}`,
      // Lets the BFF's audit events tell this client from the browser's tabs.
      'user-agent': REPLAY_USER_AGENT,
    },
  })
  const body = (await response.json().catch(() => null)) as { error?: { code?: unknown } } | null
  return {
    status: response.status,
    code: typeof body?.error?.code === 'string' ? body.error.code : null,
    setCookie: response.headers.get('set-cookie'),
  }
}
