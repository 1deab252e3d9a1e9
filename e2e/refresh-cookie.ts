/**
 * @module
 * The refresh cookie from outside the page: as the browser stores it, and replayed by a client
 * that is not the app (an attacker holding a copy).
 */
import type { BrowserContext, Cookie } from '@playwright/test'

/**
 * The BFF's default refresh cookie name, which the demo keeps: `__Host-` makes Chromium refuse
 * one set with a Domain, another Path or without Secure, so no sibling subdomain can plant it.
 * Spelled out rather than imported, so that a change of the wire contract fails here.
 */
export const REFRESH_COOKIE = '__Host-baton_rt'

/** The companion cookie: `1`, readable by scripts, set and cleared with the refresh cookie. */
export const SESSION_HINT_COOKIE = 'baton_session'

/** The refresh cookie as the browser holds it, or `null`. Reads every cookie of the context. */
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
