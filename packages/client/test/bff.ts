/**
 * The BFF the client tests talk to: a real `@baton/bff` with a small `requireAuth` API beside
 * it, answering in-process through `app.request` (no socket), with switches and counters for
 * the tests (outages, delays, refused tokens, concurrency).
 */
import {
  createBff,
  createSigningKeys,
  memoryStore,
  requireAuth,
  type BffEvent,
  type BffOptions,
  type RequireAuthVariables,
  type SessionStore,
} from '@baton/bff'
import { ACTIVITY_HEADER } from '@baton/protocol'
import { Hono } from 'hono'

export const ORIGIN = 'http://app.test'

export interface TestServer {
  app: Hono
  /** The BFF's signing keys (for another `requireAuth` beside the test API). */
  keys: typeof keys
  /** POST /auth/refresh requests that reached the BFF. */
  refreshCount(): number
  /** For each POST /auth/refresh that reached the BFF: did it say the user was active? */
  refreshActivity: boolean[]
  /** When each POST /auth/refresh reached the BFF (fake clock, epoch ms). */
  refreshTimes: number[]
  /** POST /auth/logout requests that reached the BFF. */
  logoutCount(): number
  /** API requests that reached /api: path, status answered, bearer token sent. */
  apiCalls: Array<{ path: string; status: number; token: string | null }>
  /** When set, /api answers 401 to every request whose token it returns true for. */
  rejectToken: ((token: string) => boolean) | null
  /** POST /auth/refresh requests being answered right now, and the most ever at once. */
  refreshConcurrency: { now: number; max: number }
  /** When set, /auth/refresh waits this long (fake time) before answering. */
  refreshDelayMs: number
  /** When set, /auth/logout waits this long (fake time) before answering. */
  logoutDelayMs: number
  /** While set, /auth/login answers 429 rate_limited, as a rate-limiting proxy would. */
  loginRateLimited: boolean
  /** While set, /auth/refresh answers 429 rate_limited with `Retry-After` of this many seconds. */
  refreshRetryAfter: number | null
  /**
   * Every request's DPoP header and Authorization scheme, in order (`proof: null` when it had
   * none), and what it was answered: for tests that decode what the client signed.
   */
  dpop: Array<{
    method: string
    path: string
    proof: string | null
    scheme: string | null
    status: number
  }>
  /** POST /auth/reauthenticate requests that reached the BFF. */
  reauthenticateCount(): number
  /** While set, /auth/reauthenticate answers 429 rate_limited with `retryAfter: 9`. */
  reauthenticateRateLimited: boolean
  /** Makes the BFF answer /auth/refresh with 503 while set. */
  refreshOutage: boolean
  /** The BFF's session store, for revoking sessions behind the clients' backs. */
  store: SessionStore
  events: BffEvent[]
  /** True while a request is being answered by real work (not parked on a fake delay). */
  busy(): boolean
}

const USERS: Record<string, { password: string; user: { id: string; name: string } }> = {
  alice: { password: 'alice-pw', user: { id: 'u-alice', name: 'Alice' } },
  bob: { password: 'bob-pw', user: { id: 'u-bob', name: 'Bob' } },
}

// One key pair per test file: generating it is the slowest thing a test would do.
const keys = createSigningKeys({ logger: { warn() {} } })

const fakeSleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function startServer(options: Partial<BffOptions> = {}): TestServer {
  let refreshes = 0
  let logouts = 0
  let reauthentications = 0
  let working = 0
  const server: TestServer = {
    app: new Hono(),
    keys,
    refreshCount: () => refreshes,
    refreshActivity: [],
    refreshTimes: [],
    logoutCount: () => logouts,
    apiCalls: [],
    rejectToken: null,
    refreshConcurrency: { now: 0, max: 0 },
    refreshDelayMs: 0,
    logoutDelayMs: 0,
    loginRateLimited: false,
    refreshRetryAfter: null,
    reauthenticateCount: () => reauthentications,
    dpop: [],
    reauthenticateRateLimited: false,
    refreshOutage: false,
    store: memoryStore({ sweepInterval: 0 }),
    events: [],
    busy: () => working > 0,
  }
  /** Waits `ms` of fake time, not counted as work in flight meanwhile. */
  const delay = async (ms: number) => {
    working--
    try {
      await fakeSleep(ms)
    } finally {
      working++
    }
  }

  const { app } = server
  app.use(async (_c, next) => {
    working++
    try {
      await next()
    } finally {
      working--
    }
  })
  app.use(async (c, next) => {
    await next()
    // What Node's HTTP server adds to every answer (the client reads the server's clock from it).
    try {
      c.res.headers.set('date', new Date().toUTCString())
    } catch {
      // An immutable Response: left as it is.
    }
    server.dpop.push({
      method: c.req.method,
      path: c.req.path,
      proof: c.req.header('dpop') ?? null,
      scheme: c.req.header('authorization')?.split(' ')[0] ?? null,
      status: c.res.status,
    })
  })
  app.use('/auth/refresh', async (c, next) => {
    refreshes++
    server.refreshActivity.push(c.req.header(ACTIVITY_HEADER) === '1')
    server.refreshTimes.push(Date.now())
    const concurrency = server.refreshConcurrency
    concurrency.max = Math.max(concurrency.max, ++concurrency.now)
    try {
      if (server.refreshDelayMs) await delay(server.refreshDelayMs)
      if (server.refreshOutage) {
        return c.json({ error: { code: 'store_unavailable', message: 'down' } }, 503)
      }
      const retryAfter = server.refreshRetryAfter
      if (retryAfter !== null) {
        c.header('retry-after', String(retryAfter))
        const error = { code: 'rate_limited', message: 'Slow down.', retryAfter }
        return c.json({ error }, 429)
      }
      return await next()
    } finally {
      concurrency.now--
    }
  })
  app.use('/auth/login', async (c, next) => {
    if (!server.loginRateLimited) return next()
    c.header('retry-after', '42')
    const error = { code: 'rate_limited', message: 'Too many attempts.', retryAfter: 42 }
    return c.json({ error }, 429)
  })
  app.use('/auth/reauthenticate', async (c, next) => {
    reauthentications++
    if (!server.reauthenticateRateLimited) return next()
    return c.json({ error: { code: 'rate_limited', message: 'Wait.', retryAfter: 9 } }, 429)
  })
  app.use('/auth/logout', async (_c, next) => {
    logouts++
    if (server.logoutDelayMs) await delay(server.logoutDelayMs)
    await next()
  })
  app.route(
    '/',
    createBff({
      keys,
      store: server.store,
      // Tests about proactive refresh ask for 3 s tokens.
      accessTokenTtl: '30s',
      allowedOrigins: (origin) => origin === ORIGIN,
      authenticate: ({ username, password }) =>
        Promise.resolve(USERS[username]?.password === password ? USERS[username].user : null),
      onEvent: (event) => void server.events.push(event),
      logger: { warn() {}, error() {} },
      ...options,
    }),
  )
  const api = new Hono<{ Variables: RequireAuthVariables }>()
  api.use(async (c, next) => {
    const token = c.req.header('authorization')?.replace(/^(?:Bearer|DPoP) /, '') ?? null
    if (token && server.rejectToken?.(token)) {
      server.apiCalls.push({ path: c.req.path, status: 401, token })
      return c.json({ error: { code: 'invalid_token', message: 'rejected by test' } }, 401)
    }
    await next()
    server.apiCalls.push({ path: c.req.path, status: c.res.status, token })
    return undefined
  })
  api.use(requireAuth({ jwks: keys, issuer: 'baton', audience: 'baton-api' }))
  api.get('/me', (c) => c.json({ id: c.var.userId, sessionId: c.var.sessionId }))
  api.post('/echo', async (c) => c.json({ body: await c.req.json<unknown>() }))
  // A sensitive route: the user must have proved who they are within the last minute (RFC 9470).
  api.post(
    '/sensitive',
    requireAuth({ jwks: keys, issuer: 'baton', audience: 'baton-api', maxAge: '60s' }),
    async (c) => c.json({ body: await c.req.json<unknown>(), authTime: c.var.authTime }),
  )
  app.route('/api', api)
  return server
}
