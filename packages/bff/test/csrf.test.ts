import { beforeEach, describe, expect, it, vi } from 'vitest'
import {
  createHarness,
  expectError,
  ORIGIN,
  passwordOf,
  REFRESH_COOKIE,
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

const REFUSED: [string, Record<string, string>][] = [
  ['no X-CSRF header (allowed Origin)', { origin: ORIGIN }],
  ['no X-CSRF header (same-origin fetch)', { 'sec-fetch-site': 'same-origin' }],
  ['X-CSRF: 0', { 'x-csrf': '0', origin: ORIGIN }],
  ['X-CSRF: true', { 'x-csrf': 'true', origin: ORIGIN }],
  ['X-CSRF but neither Origin nor Sec-Fetch-Site', { 'x-csrf': '1' }],
  ['a foreign Origin', { 'x-csrf': '1', origin: 'https://evil.example' }],
  [
    'a foreign Origin with Sec-Fetch-Site: same-origin',
    {
      'x-csrf': '1',
      origin: 'https://evil.example',
      'sec-fetch-site': 'same-origin',
    },
  ],
  ['the same host on another scheme', { 'x-csrf': '1', origin: 'https://localhost' }],
  ['the same host on another port', { 'x-csrf': '1', origin: 'http://localhost:8080' }],
  ['Origin: null', { 'x-csrf': '1', origin: 'null' }],
  ['no Origin and Sec-Fetch-Site: cross-site', { 'x-csrf': '1', 'sec-fetch-site': 'cross-site' }],
  ['no Origin and Sec-Fetch-Site: same-site', { 'x-csrf': '1', 'sec-fetch-site': 'same-site' }],
  ['no Origin and Sec-Fetch-Site: none', { 'x-csrf': '1', 'sec-fetch-site': 'none' }],
]

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
    'answers 403 csrf_failed for %s, without touching the session',
    async (_, headers) => {
      const res = await callWith(h, route, cookie, headers)

      await expectError(res, 403, 'csrf_failed')
      expect(res.headers.getSetCookie()).toStrictEqual([])
      expect(h.events).toStrictEqual([])
      // The cookie is still the current one: nothing was rotated or revoked.
      await h.refreshOk(cookie)
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
