/**
 * @module
 * Test harness for `@baton/bff`: a BFF with a fixed clock you advance by hand, an event recorder, a
 * silent logger, and small clients that speak to any Hono app in-process (`app.request`), so the
 * same helpers drive the BFF directly and mounted inside another app.
 */
import { createHash } from 'node:crypto'
import {
  ACTIVITY_HEADER,
  AUTH_PATH_REFRESH_COOKIE,
  REFRESH_COOKIE as DEFAULT_REFRESH_COOKIE,
} from '@baton/protocol'
import { Hono } from 'hono'
import type { JWK } from 'jose'
import { expect, vi } from 'vitest'
import {
  createBff,
  type Bff,
  createSigningKeys,
  generateSigningKey,
  memoryStore,
  type BffErrorCode,
  type BffEvent,
  type BffEventType,
  type Authenticate,
  type BffOptions,
  type SessionUser,
  type SigningKeys,
} from '../src/index.js'

/** Every request goes to this origin; it is also the default allowed `Origin`. */
export const ORIGIN = 'http://localhost'

/**
 * The test clock starts here: a whole second, and in the past, so that any code reading the real
 * clock instead of the injected one sees every token and session as long expired.
 */
export const T0 = Date.UTC(2024, 0, 15, 9, 0, 0)

export const SECOND = 1_000
export const MINUTE = 60 * SECOND
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR

/** The headers a same-origin browser `fetch` from the SPA sends to the cookie routes. */
export const CSRF = { 'x-csrf': '1', 'sec-fetch-site': 'same-origin' } as const

/** The headers of a refresh the user's activity asked for: it moves the idle deadline. */
export const ACTIVITY = { [ACTIVITY_HEADER]: '1' } as const

/** The default refresh cookie's name: `__Host-baton_rt`, on Path=/. */
export const REFRESH_COOKIE = DEFAULT_REFRESH_COOKIE

/** The exact `Set-Cookie` that drops the default refresh cookie. */
export const CLEARED_COOKIE =
  '__Host-baton_rt=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict'

/** The exact `Set-Cookie` of the default refresh cookie holding `value` for `maxAge` seconds. */
export const refreshSetCookie = (value: string, maxAge: number) =>
  `__Host-baton_rt=${value}; Max-Age=${maxAge}; Path=/; HttpOnly; Secure; SameSite=Strict`

/**
 * The session hint's value beside the refresh cookie `refreshToken`, by its documented rule: the
 * first 12 base64url characters of the SHA-256 of the session id (the token's first 16 bytes).
 */
export const hintOf = (refreshToken: string) =>
  createHash('sha256')
    .update(Buffer.from(refreshToken, 'base64url').subarray(0, 16).toString('base64url'))
    .digest('base64url')
    .slice(0, 12)

/**
 * The refresh cookie's name for `cookie` options, by the documented rule: the given name, else
 * `__Host-baton_rt` (scope 'root'), `__Secure-baton_rt` (scope 'auth-path'), or `baton_rt` when
 * `secure` is off.
 */
export function refreshCookieName(cookie: BffOptions['cookie'] = {}): string {
  if (cookie.name !== undefined) return cookie.name
  if (cookie.secure === false) return 'baton_rt'
  return cookie.scope === 'auth-path' ? AUTH_PATH_REFRESH_COOKIE : DEFAULT_REFRESH_COOKIE
}

/** The exact `Set-Cookie` that drops the default session hint. */
export const CLEARED_HINT =
  'baton_session=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; SameSite=Strict'

/** The exact `Set-Cookie` of a session hint that lives `maxAge` seconds. */
export const hintCookie = (
  refreshToken: string,
  maxAge: number,
  { name = 'baton_session', secure = true } = {},
) =>
  `${name}=${hintOf(refreshToken)}; Max-Age=${maxAge}; Path=/; ${secure ? 'Secure; ' : ''}SameSite=Strict`

/** A refresh cookie value: base64url of 64 bytes. */
export const REFRESH_TOKEN = /^[A-Za-z0-9_-]{86}$/
/** A session id: base64url of 16 bytes. */
export const SESSION_ID = /^[A-Za-z0-9_-]{22}$/

export const ALICE: SessionUser = { id: 'user-alice', name: 'Alice' }
export const BOB: SessionUser = { id: 'user-bob', name: 'Bob' }

const PASSWORDS: Record<string, { password: string; user: SessionUser }> = {
  alice: { password: 'correct horse battery staple', user: ALICE },
  bob: { password: 'hunter2', user: BOB },
}

/** Accepts the two test users with their passwords, refuses everything else. */
export const authenticate: Authenticate = async ({ username, password }) => {
  const entry = PASSWORDS[username]
  return entry && entry.password === password ? entry.user : null
}

export const passwordOf = (username: string) => PASSWORDS[username]?.password ?? 'wrong'

/** A clock that only moves when told to. */
export interface TestClock {
  now: () => number
  advance: (ms: number) => void
}

export function testClock(start = T0): TestClock {
  let current = start
  return {
    now: () => current,
    advance: (ms) => {
      current += ms
    },
  }
}

/** A logger whose calls tests can count. */
export function testLogger() {
  return { warn: vi.fn<Console['warn']>(), error: vi.fn<Console['error']>() }
}

/** What login and refresh answer with. */
export interface TokenResponse {
  accessToken: string
  tokenType: 'Bearer'
  expiresAt: number
  expiresIn: number
  idleExpiresIn: number
  user: SessionUser
  sessionId: string
}

/** Anything with Hono's in-process `request`: the BFF itself or an app it is mounted in. */
export interface Requester {
  request(input: Request, init?: RequestInit, env?: object): Response | Promise<Response>
}

/** Options of a single test request. */
export interface Send {
  method?: string
  headers?: Record<string, string>
  body?: RequestInit['body']
  /** The socket address, as `@hono/node-server` exposes it on `c.env.incoming`. */
  ip?: string
}

/** What `@hono/node-server` would put in `c.env` for a connection from `ip`. */
const socketEnv = (ip: string) => ({ incoming: { socket: { remoteAddress: ip } } })

/**
 * The value of the `name` refresh cookie, which must be the response's first `Set-Cookie` header;
 * the only other one must be the session hint `hint` (unless `false`), with the same Max-Age and
 * Secure attribute.
 */
export function cookieValue(
  res: Response,
  name = REFRESH_COOKIE,
  hint: string | false = 'baton_session',
): string {
  const [header, ...rest] = res.headers.getSetCookie()
  const prefix = `${name}=`
  if (!header?.startsWith(prefix)) throw new Error(`no ${name} cookie in: ${String(header)}`)
  const maxAge = Number(/; Max-Age=(\d+);/.exec(header)?.[1])
  const secure = header.includes('; Secure;')
  const value = header.slice(prefix.length, header.indexOf(';'))
  expect(rest, 'exactly the refresh cookie and the session hint').toStrictEqual(
    hint === false ? [] : [hintCookie(value, maxAge, { name: hint, secure })],
  )
  return value
}

/** Asserts a JSON error response exactly: status, `{ error: { code, message } }` and nothing else. */
export async function expectError(res: Response, status: number, code: BffErrorCode) {
  const body: unknown = await res.json()
  expect({ status: res.status, body }).toStrictEqual({
    status,
    body: { error: { code, message: expect.any(String) as string } },
  })
  expect(res.headers.get('content-type')).toBe('application/json; charset=UTF-8')
}

/** A client for the BFF's routes on `app`, mounted at `basePath`. */
export function client(
  app: Requester,
  basePath = '/auth',
  cookieName = REFRESH_COOKIE,
  hintName: string | false = 'baton_session',
) {
  const send = (path: string, { method = 'GET', headers = {}, body = null, ip }: Send = {}) =>
    Promise.resolve(
      app.request(
        new Request(new URL(path, ORIGIN), { method, headers, body }),
        undefined,
        ip === undefined ? undefined : socketEnv(ip),
      ),
    )

  /** POST to a cookie route with the CSRF headers a browser would send. */
  const post = (route: string, { headers, ...rest }: Send = {}) =>
    send(`${basePath}${route}`, { method: 'POST', ...rest, headers: { ...CSRF, ...headers } })

  const withCookie = (cookie: string | undefined, headers: Record<string, string> = {}) =>
    cookie === undefined ? headers : { ...headers, cookie: `${cookieName}=${cookie}` }

  /** Signs in; fails the test unless the BFF answers 200 with a refresh cookie. */
  const login = async (username = 'alice', init: Send = {}) => {
    const res = await post('/login', {
      ...init,
      headers: { 'content-type': 'application/json', ...init.headers },
      body: JSON.stringify({ username, password: passwordOf(username) }),
    })
    expect(res.status, `login as ${username}`).toBe(200)
    return {
      res,
      body: (await res.json()) as TokenResponse,
      cookie: cookieValue(res, cookieName, hintName),
    }
  }

  const refresh = (cookie?: string, init: Send = {}) =>
    post('/refresh', { ...init, headers: withCookie(cookie, init.headers) })

  /** Refreshes; fails the test unless the BFF answers 200 with a new refresh cookie. */
  const refreshOk = async (cookie: string, init: Send = {}) => {
    const res = await refresh(cookie, init)
    expect(res.status, 'refresh').toBe(200)
    return {
      res,
      body: (await res.json()) as TokenResponse,
      cookie: cookieValue(res, cookieName, hintName),
    }
  }

  const logout = (cookie?: string, body?: unknown) =>
    post('/logout', {
      headers: withCookie(cookie, { 'content-type': 'application/json' }),
      body: body === undefined ? null : JSON.stringify(body),
    })

  const bearer = (accessToken: string) => ({ authorization: `Bearer ${accessToken}` })

  const listSessions = (accessToken: string) =>
    send(`${basePath}/sessions`, { headers: bearer(accessToken) })

  const deleteSession = (accessToken: string, id: string) =>
    send(`${basePath}/sessions/${id}`, { method: 'DELETE', headers: bearer(accessToken) })

  return { send, post, login, refresh, refreshOk, logout, listSessions, deleteSession }
}

export type Client = ReturnType<typeof client>

/**
 * A BFF on a test clock with configured keys (`signingKey` is the private JWK, for forging
 * tokens), a memory store on the same clock without a background timer, and an event recorder.
 * `options` override any of these.
 */
export async function createHarness(options: Partial<BffOptions> = {}) {
  const clock = testClock()
  const logger = testLogger()
  const events: BffEvent[] = []
  const signingKey: JWK = await generateSigningKey('ES256')
  const keys: SigningKeys = createSigningKeys({ keys: [signingKey], logger })
  const store = memoryStore({ now: clock.now, sweepInterval: 0 })
  const bff: Bff = createBff({
    authenticate,
    keys,
    store,
    now: clock.now,
    logger,
    onEvent: (event) => {
      events.push(event)
    },
    ...options,
  })

  /** The recorded events of one type, in order. */
  const eventsOf = <T extends BffEventType>(type: T) =>
    events.filter((e): e is Extract<BffEvent, { type: T }> => e.type === type)

  return {
    bff,
    clock,
    logger,
    events,
    eventsOf,
    keys,
    signingKey,
    store,
    ...client(
      bff,
      options.basePath?.replace(/\/+$/, ''),
      refreshCookieName(options.cookie),
      options.sessionHintCookie,
    ),
  }
}

export type Harness = Awaited<ReturnType<typeof createHarness>>

/** The status an API behind `bff.requireAuth()` answers `accessToken` with (204: accepted). */
export async function requireAuthStatus(bff: Bff, accessToken: string): Promise<number> {
  const api = new Hono()
  api.use('/api/*', bff.requireAuth())
  api.get('/api/me', (c) => c.body(null, 204))
  const res = await api.request('/api/me', { headers: { authorization: `Bearer ${accessToken}` } })
  return res.status
}
