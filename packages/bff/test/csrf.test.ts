import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { CsrfFailureReason } from '../src/index.js'
import {
  createHarness,
  expectError,
  ORIGIN,
  passwordOf,
  REFRESH_COOKIE,
  T0,
  type Harness,
} from './helpers.js'

type Route = 'login' | 'refresh' | 'logout'

/**
 * Calls a cookie route with exactly `headers` (no CSRF defaults) and a request that would otherwise
 * succeed: valid credentials for login, the live session's cookie for refresh and logout.
 */
function callWith(h: Harness, route: Route, cookie: string, headers: Record<string, string>) {
  return h.send(`/auth/${route}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      cookie: `${REFRESH_COOKIE}=${cookie}`,
      ...headers,
    },
    body:
      route === 'login'
        ? JSON.stringify({ username: 'alice', password: passwordOf('alice') })
        : null,
  })
}

const SUCCESS: Record<Route, number> = { login: 200, refresh: 200, logout: 204 }
const ROUTES = Object.keys(SUCCESS) as Route[]

const REFUSED: [string, Record<string, string>, CsrfFailureReason][] = [
  ['no X-CSRF header (allowed Origin)', { origin: ORIGIN }, 'header_missing'],
  ['no X-CSRF header (same-origin fetch)', { 'sec-fetch-site': 'same-origin' }, 'header_missing'],
  ['X-CSRF: 0', { 'x-csrf': '0', origin: ORIGIN }, 'header_missing'],
  ['X-CSRF: true', { 'x-csrf': 'true', origin: ORIGIN }, 'header_missing'],
  ['X-CSRF but neither Origin nor Sec-Fetch-Site', { 'x-csrf': '1' }, 'origin_missing'],
  ['a foreign Origin', { 'x-csrf': '1', origin: 'https://evil.example' }, 'origin_not_allowed'],
  [
    'a foreign Origin with Sec-Fetch-Site: same-origin',
    {
      'x-csrf': '1',
      origin: 'https://evil.example',
      'sec-fetch-site': 'same-origin',
    },
    'origin_not_allowed',
  ],
  [
    'the same host on another scheme',
    { 'x-csrf': '1', origin: 'https://localhost' },
    'origin_not_allowed',
  ],
  [
    'the same host on another port',
    { 'x-csrf': '1', origin: 'http://localhost:8080' },
    'origin_not_allowed',
  ],
  ['Origin: null', { 'x-csrf': '1', origin: 'null' }, 'origin_not_allowed'],
  [
    'no Origin and Sec-Fetch-Site: cross-site',
    { 'x-csrf': '1', 'sec-fetch-site': 'cross-site' },
    'cross_site',
  ],
  [
    'no Origin and Sec-Fetch-Site: same-site',
    { 'x-csrf': '1', 'sec-fetch-site': 'same-site' },
    'cross_site',
  ],
  ['no Origin and Sec-Fetch-Site: none', { 'x-csrf': '1', 'sec-fetch-site': 'none' }, 'cross_site'],
]

/** The exact message of the 403 body for each reason: the check that failed, and the fix. */
const MESSAGES: Record<CsrfFailureReason, string> = {
  header_missing:
    'The X-CSRF: 1 header is missing; every call to the auth routes must send it (@baton/client does).',
  origin_not_allowed:
    'This origin is not allowed to call the auth routes; add it to the BFF’s allowedOrigins.',
  cross_site:
    'The browser marked this request as not same-origin (Sec-Fetch-Site) and sent no Origin; only an allowed origin may call the auth routes.',
  origin_missing:
    'The request has neither an Origin header nor Sec-Fetch-Site: same-origin; only a browser on an allowed origin may call the auth routes.',
}

const ACCEPTED: [string, Record<string, string>][] = [
  ['X-CSRF and the own Origin', { 'x-csrf': '1', origin: ORIGIN }],
  [
    'X-CSRF, no Origin and Sec-Fetch-Site: same-origin',
    {
      'x-csrf': '1',
      'sec-fetch-site': 'same-origin',
    },
  ],
  [
    'X-CSRF, the own Origin and Sec-Fetch-Site: cross-site',
    {
      'x-csrf': '1',
      origin: ORIGIN,
      'sec-fetch-site': 'cross-site',
    },
  ],
]

describe.each(ROUTES)('CSRF defence on POST /auth/%s', (route) => {
  let h: Harness
  let cookie: string
  beforeEach(async () => {
    h = await createHarness()
    cookie = (await h.login('alice')).cookie
    h.events.length = 0
  })

  it.each(REFUSED)(
    'answers 403 csrf_failed for %s, saying why, without touching the session',
    async (_, headers, reason) => {
      const res = await callWith(h, route, cookie, headers)

      expect(res.status).toBe(403)
      expect(await res.json()).toStrictEqual({
        error: { code: 'csrf_failed', message: MESSAGES[reason] },
      })
      expect(res.headers.getSetCookie()).toStrictEqual([])
      // The cookie is still the current one: nothing was rotated or revoked.
      await h.refreshOk(cookie)
    },
  )

  it.each(REFUSED)(
    'emits csrf_failed with the route, the reason and the request’s headers for %s',
    async (_, headers, reason) => {
      await callWith(h, route, cookie, headers)

      expect(h.events).toStrictEqual([
        {
          type: 'csrf_failed',
          route,
          reason,
          origin: headers.origin ?? null,
          secFetchSite: headers['sec-fetch-site'] ?? null,
          at: T0,
          ip: null,
          userAgent: null,
        },
      ])
    },
  )

  it.each(ACCEPTED)('lets the request through with %s', async (_, headers) => {
    const res = await callWith(h, route, cookie, headers)

    expect(res.status).toBe(SUCCESS[route])
  })
})

describe('allowedOrigins as a list', () => {
  let h: Harness
  beforeEach(async () => {
    h = await createHarness({ allowedOrigins: ['https://app.example', 'https://admin.example'] })
  })

  it.each(['https://app.example', 'https://admin.example'])('accepts %s', async (origin) => {
    const res = await callWith(h, 'login', '', { 'x-csrf': '1', origin })

    expect(res.status).toBe(200)
  })

  it.each([ORIGIN, 'https://app.example.evil', 'https://evil.app.example', 'http://app.example'])(
    'refuses %s, including the BFF’s own origin',
    async (origin) => {
      const res = await callWith(h, 'login', '', { 'x-csrf': '1', origin })

      await expectError(res, 403, 'csrf_failed')
    },
  )

  it('still accepts a same-origin request without Origin', async () => {
    const res = await callWith(h, 'login', '', { 'x-csrf': '1', 'sec-fetch-site': 'same-origin' })

    expect(res.status).toBe(200)
  })
})

describe('allowedOrigins as a function', () => {
  it('decides on the Origin header value', async () => {
    const allowedOrigins = vi.fn((origin: string) => origin.endsWith('.trusted.example'))
    const h = await createHarness({ allowedOrigins })

    const ok = await callWith(h, 'login', '', {
      'x-csrf': '1',
      origin: 'https://a.trusted.example',
    })
    const no = await callWith(h, 'login', '', {
      'x-csrf': '1',
      origin: 'https://untrusted.example',
    })

    expect(ok.status).toBe(200)
    await expectError(no, 403, 'csrf_failed')
    expect(allowedOrigins.mock.calls.map(([origin]) => origin)).toStrictEqual([
      'https://a.trusted.example',
      'https://untrusted.example',
    ])
  })
})

describe('issue 19: a CSRF refusal explains itself without echoing the request', () => {
  it('tells an SPA on an unlisted origin what to change, and the server log which origin it was', async () => {
    const h = await createHarness({ allowedOrigins: ['https://app.example'] })
    const origin = 'http://127.0.0.1:5174'

    const res = await h.send('/auth/login', {
      method: 'POST',
      headers: { 'x-csrf': '1', origin, 'user-agent': 'test-browser' },
      body: '{}',
      ip: '203.0.113.9',
    })

    const text = await res.text()
    expect(JSON.parse(text)).toStrictEqual({
      error: { code: 'csrf_failed', message: MESSAGES.origin_not_allowed },
    })
    expect(text).not.toContain('127.0.0.1')
    expect(h.eventsOf('csrf_failed')).toStrictEqual([
      {
        type: 'csrf_failed',
        route: 'login',
        reason: 'origin_not_allowed',
        origin,
        secFetchSite: null,
        at: T0,
        ip: '203.0.113.9',
        userAgent: 'test-browser',
      },
    ])
  })

  it('cuts the headers it records to 512 characters', async () => {
    const h = await createHarness()
    const origin = `https://${'a'.repeat(600)}.example`

    await callWith(h, 'refresh', '', { 'x-csrf': '1', origin, 'sec-fetch-site': 'x'.repeat(600) })

    const [event] = h.eventsOf('csrf_failed')
    expect([event?.origin, event?.secFetchSite]).toStrictEqual([
      origin.slice(0, 512),
      'x'.repeat(512),
    ])
  })
})
