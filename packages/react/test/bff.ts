/**
 * A real `@baton/bff` for the React tests, started once by `global-setup.ts` in vitest's main
 * process. The tests run in happy-dom, whose `Response` drops `Set-Cookie` (a browser forbids
 * scripts to read it), so the BFF must not share their globals: it runs where Node's own
 * `Response` lives and the happy-dom "browser" reaches it over HTTP, cookies and all.
 */
import { serve, type ServerType } from '@hono/node-server'
import {
  createBff,
  createSigningKeys,
  memoryStore,
  requireAuth,
  type RequireAuthVariables,
} from '@baton/bff'
import { Hono } from 'hono'
import type { AddressInfo } from 'node:net'

/** Header by which each test client tags its requests, so parallel test files count apart. */
export const TEST_ID_HEADER = 'x-test-id'

const USERS: Record<string, { password: string; user: { id: string; name: string } }> = {
  alice: { password: 'alice-pw', user: { id: 'u-alice', name: 'Alice' } },
  bob: { password: 'bob-pw', user: { id: 'u-bob', name: 'Bob' } },
}

export interface TestBff {
  origin: string
  close(): Promise<void>
}

export async function startTestBff(): Promise<TestBff> {
  const keys = createSigningKeys({ logger: { warn() {} } })
  const refreshes = new Map<string, number>()
  let origin = ''

  const app = new Hono()
  app.use('/auth/refresh', async (c, next) => {
    const id = c.req.header(TEST_ID_HEADER) ?? ''
    refreshes.set(id, (refreshes.get(id) ?? 0) + 1)
    await next()
  })
  app.get('/__test/refreshes/:id', (c) => c.json({ count: refreshes.get(c.req.param('id')) ?? 0 }))
  app.route(
    '/',
    createBff({
      keys,
      store: memoryStore({ sweepInterval: 0 }),
      // happy-dom keeps Secure cookies for https and "localhost" only; this BFF is on 127.0.0.1.
      cookie: { secure: false },
      allowedOrigins: (requestOrigin) => requestOrigin === origin,
      authenticate: ({ username, password }) =>
        Promise.resolve(USERS[username]?.password === password ? USERS[username].user : null),
      logger: { warn() {}, error: console.error },
    }),
  )
  const api = new Hono<{ Variables: RequireAuthVariables }>()
  api.use(requireAuth({ jwks: keys, issuer: 'baton', audience: 'baton-api' }))
  api.get('/me', (c) => c.json({ id: c.var.userId, sessionId: c.var.sessionId }))
  app.route('/api', api)

  const http: ServerType = await new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () =>
      resolve(server),
    )
  })
  origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  return {
    origin,
    close: () =>
      new Promise<void>((resolve) => {
        ;(http as { closeAllConnections?: () => void }).closeAllConnections?.()
        http.close(() => resolve())
      }),
  }
}
