/**
 * A real `@baton/bff` on an ephemeral 127.0.0.1 port, and "browsers" (a cookie jar shared by their
 * tabs) whose tabs are session clients in this process. Node has BroadcastChannel; Web Locks are
 * replaced by the client's in-process lock, which serialises all tabs of the process like one
 * browser's lock manager.
 */
import { serve, type ServerType } from '@hono/node-server'
import {
  createBff,
  memoryStore,
  requireAuth,
  type BffEvent,
  type BffOptions,
  type RequireAuthVariables,
  type SessionStore,
} from '@baton/bff'
import {
  createSessionClient,
  type ClientEvent,
  type SessionClient,
  type SessionClientOptions,
} from '@baton/client'
import { Hono } from 'hono'
import { createSigningKeys } from '@baton/bff'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, vi } from 'vitest'

export interface TestServer {
  origin: string
  /** POST /auth/refresh requests that reached the BFF. */
  refreshCount(): number
  /** API requests that reached /api: path, status answered, bearer token sent. */
  apiCalls: Array<{ path: string; status: number; token: string | null }>
  /** When set, /api answers 401 to every request whose token it returns true for. */
  rejectToken: ((token: string) => boolean) | null
  /** POST /auth/refresh requests being answered right now, and the most ever at once. */
  refreshConcurrency: { now: number; max: number }
  /** When set, /auth/refresh waits this long before answering. */
  refreshDelayMs: number
  /** When set, /auth/logout waits this long before answering. */
  logoutDelayMs: number
  /** POST /auth/logout requests that reached the BFF. */
  logoutCount(): number
  /** While set, /auth/login answers 429 rate_limited, as a rate-limiting proxy would. */
  loginRateLimited: boolean
  /** The BFF's session store, for revoking sessions behind the clients' backs. */
  store: SessionStore
  events: BffEvent[]
  /** Makes the BFF answer /auth/refresh with 503 while set. */
  refreshOutage: boolean
  close(): Promise<void>
}

const USERS: Record<string, { password: string; user: { id: string; name: string } }> = {
  alice: { password: 'alice-pw', user: { id: 'u-alice', name: 'Alice' } },
  bob: { password: 'bob-pw', user: { id: 'u-bob', name: 'Bob' } },
}

export async function startServer(options: Partial<BffOptions> = {}): Promise<TestServer> {
  const keys = createSigningKeys({ logger: { warn() {} } })
  const events: BffEvent[] = []
  const apiCalls: TestServer['apiCalls'] = []
  let refreshes = 0
  const refreshConcurrency = { now: 0, max: 0 }
  const server: Partial<TestServer> = {
    events,
    apiCalls,
    refreshOutage: false,
    rejectToken: null,
    refreshConcurrency,
    refreshDelayMs: 0,
    logoutDelayMs: 0,
    loginRateLimited: false,
    store: memoryStore({ sweepInterval: 0 }),
  }

  const app = new Hono()
  app.use('/auth/refresh', async (c, next) => {
    refreshes++
    refreshConcurrency.max = Math.max(refreshConcurrency.max, ++refreshConcurrency.now)
    try {
      if (server.refreshDelayMs) await sleep(server.refreshDelayMs)
      if (server.refreshOutage) {
        return c.json({ error: { code: 'store_unavailable', message: 'down' } }, 503)
      }
      return await next()
    } finally {
      refreshConcurrency.now--
    }
  })
  app.use('/auth/login', async (c, next) => {
    if (!server.loginRateLimited) return next()
    return c.json({ error: { code: 'rate_limited', message: 'Too many attempts.' } }, 429)
  })
  let logouts = 0
  server.logoutCount = () => logouts
  app.use('/auth/logout', async (_c, next) => {
    logouts++
    if (server.logoutDelayMs) await sleep(server.logoutDelayMs)
    await next()
  })
  app.route(
    '/',
    createBff({
      keys,
      store: server.store!,
      // Long enough that no proactive refresh lands inside a test by accident on a loaded machine;
      // tests about proactive refresh ask for 3 s tokens.
      accessTokenTtl: '30s',
      allowedOrigins: (origin) => origin === server.origin,
      authenticate: async ({ username, password }) =>
        USERS[username]?.password === password ? USERS[username].user : null,
      onEvent: (event) => void events.push(event),
      logger: { warn() {}, error() {} },
      ...options,
    }),
  )
  const api = new Hono<{ Variables: RequireAuthVariables }>()
  api.use(async (c, next) => {
    const token = c.req.header('authorization')?.replace(/^Bearer /, '') ?? null
    if (token && server.rejectToken?.(token)) {
      apiCalls.push({ path: c.req.path, status: 401, token })
      return c.json({ error: { code: 'invalid_token', message: 'rejected by test' } }, 401)
    }
    await next()
    apiCalls.push({ path: c.req.path, status: c.res.status, token })
    return undefined
  })
  api.use(requireAuth({ jwks: keys, issuer: 'baton', audience: 'baton-api' }))
  api.get('/me', (c) => c.json({ id: c.var.userId, sessionId: c.var.sessionId }))
  api.post('/echo', async (c) => c.json({ body: await c.req.json<unknown>() }))
  app.route('/api', api)

  const http: ServerType = await new Promise((resolve) => {
    // The BFF shares this process with the clients: keep the global Response the clients' fetch uses.
    const s = serve(
      { fetch: app.fetch, hostname: '127.0.0.1', port: 0, overrideGlobalObjects: false },
      () => resolve(s),
    )
  })
  const { port } = http.address() as AddressInfo
  server.origin = `http://127.0.0.1:${port}`
  server.refreshCount = () => refreshes
  server.close = () =>
    new Promise<void>((resolve) => {
      ;(http as { closeAllConnections?: () => void }).closeAllConnections?.()
      http.close(() => resolve())
    })
  return server as TestServer
}

interface StoredCookie {
  value: string
  path: string
}

let browsers = 0

/** One browser: a cookie jar, an Origin, and a switch to cut the network to /auth/refresh. */
export class Browser {
  readonly channel = `baton-test-${process.pid}-${++browsers}`
  readonly cookies = new Map<string, StoredCookie>()
  /** While set, /auth/refresh fails like a dropped connection. */
  offline = false
  readonly tabs: Tab[] = []

  constructor(readonly server: TestServer) {}

  readonly fetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    if (this.offline && url.pathname.startsWith('/auth/refresh'))
      throw new TypeError('fetch failed')
    const headers = new Headers(request.headers)
    // What a browser adds by itself on a same-origin fetch.
    headers.set('origin', this.server.origin)
    const cookie = [...this.cookies]
      .filter(([, c]) => url.pathname === c.path || url.pathname.startsWith(`${c.path}/`))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ')
    if (cookie) headers.set('cookie', cookie)
    const response = await fetch(new Request(request, { headers }))
    for (const line of response.headers.getSetCookie()) this.store(line)
    return response
  }

  private store(line: string) {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim())
    const eq = pair!.indexOf('=')
    const name = pair!.slice(0, eq)
    const value = pair!.slice(eq + 1)
    const attr = new Map(
      attributes.map((a) => [a.split('=')[0]!.toLowerCase(), a.split('=')[1] ?? '']),
    )
    if (attr.get('max-age') === '0' || value === '') this.cookies.delete(name)
    else this.cookies.set(name, { value, path: attr.get('path') ?? '/' })
  }

  /** Opens a tab: a session client sharing this browser's cookies and channel. */
  open(options: SessionClientOptions = {}): Tab {
    const events: ClientEvent[] = []
    const client = createSessionClient({
      baseUrl: `${this.server.origin}/auth`,
      channel: this.channel,
      fetch: this.fetch,
      api: { prefixUrl: `${this.server.origin}/api`, retry: 0 },
      logger: { debug() {} },
      retry: { initial: 100, max: 400 },
      onEvent: (event) => void events.push(event),
      ...options,
    })
    const tab = { client, events }
    this.tabs.push(tab)
    return tab
  }

  destroy() {
    for (const tab of this.tabs) tab.client.destroy()
  }
}

export interface Tab {
  client: SessionClient
  events: ClientEvent[]
}

// Captured at load, so helpers keep real time while a test fakes the timers of the client.
const realSetTimeout = globalThis.setTimeout

/** Resolves when `predicate` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function until(
  predicate: () => boolean,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => realSetTimeout(resolve, 10))
  }
}

export const sleep = (ms: number) => new Promise((resolve) => realSetTimeout(resolve, ms))

/** A fresh BFF and browser for every test of the calling file, torn down (timers, globals) after. */
export function useBrowser(): {
  server: TestServer
  browser: Browser
  /** Replaces this test's server (and browser) with one built with `options`. */
  restart(options: Partial<BffOptions>): Promise<void>
} {
  const env = {
    async restart(options: Partial<BffOptions>) {
      env.browser.destroy()
      await env.server.close()
      env.server = await startServer(options)
      env.browser = new Browser(env.server)
    },
  } as ReturnType<typeof useBrowser>
  beforeEach(async () => {
    env.server = await startServer()
    env.browser = new Browser(env.server)
  })
  afterEach(async () => {
    vi.useRealTimers()
    vi.unstubAllGlobals()
    env.browser.destroy()
    await env.server.close()
  })
  return env
}

/** Opens `count` started tabs in `browser`, the first of which signs in as alice. */
export async function signedInTabs(
  browser: Browser,
  count: number,
  options: SessionClientOptions = {},
): Promise<Tab[]> {
  const tabs: Tab[] = []
  for (let i = 0; i < count; i++) {
    const tab = browser.open(options)
    await tab.client.start()
    if (i === 0) await tab.client.login({ username: 'alice', password: 'alice-pw' })
    tabs.push(tab)
  }
  return tabs
}
