/**
 * Runs the installed packages for real: the server of `server.ts` on 127.0.0.1:0, then login →
 * refresh → `/api/me` → logout through `fetch` with a tiny cookie jar, exact statuses asserted.
 * Sessions must survive a restart of the server on the same SQLite file.
 */
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { BffEvent } from '@baton/bff'
import { createServer, type Server } from './server.js'

const databasePath = process.argv[2] ?? ''
if (databasePath === '') throw new Error('usage: node smoke.js <sqlite file>')

interface Running {
  origin: string
  store: Server['store']
  close: () => Promise<void>
}

const signingKeys = process.env.BATON_SIGNING_KEYS ?? ''
if (signingKeys === '') throw new Error('BATON_SIGNING_KEYS is not set (baton-keys generate)')
const events: BffEvent['type'][] = []

async function start(): Promise<Running> {
  const { app, store } = createServer({
    databasePath,
    signingKeys,
    onEvent: (e) => events.push(e.type),
  })
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    store,
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
      })
      await store.close()
    },
  }
}

/** What a browser would keep: name → value, dropped when the server expires a cookie. */
const jar = new Map<string, string>()
function keepCookies(response: Response): void {
  for (const line of response.headers.getSetCookie()) {
    const [pair = '', ...attributes] = line.split(';')
    const eq = pair.indexOf('=')
    const name = pair.slice(0, eq).trim()
    const value = pair.slice(eq + 1).trim()
    const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))
    if (expired || value === '') jar.delete(name)
    else jar.set(name, value)
  }
}
const cookieHeader = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ')

async function call(
  server: Running,
  method: string,
  path: string,
  init: { body?: unknown; token?: string; csrf?: boolean } = {},
): Promise<{ status: number; body: unknown; response: Response }> {
  const headers = new Headers({ origin: server.origin })
  if (init.csrf !== false) headers.set('x-csrf', '1')
  if (jar.size > 0) headers.set('cookie', cookieHeader())
  if (init.token !== undefined) headers.set('authorization', `Bearer ${init.token}`)
  if (init.body !== undefined) headers.set('content-type', 'application/json')
  const response = await fetch(server.origin + path, {
    method,
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  })
  keepCookies(response)
  const text = await response.text()
  return {
    status: response.status,
    body: text === '' ? null : (JSON.parse(text) as unknown),
    response,
  }
}

const errorCode = (body: unknown): unknown =>
  (body as { error?: { code?: unknown } } | null)?.error?.code
const accessToken = (body: unknown): string => {
  const token = (body as { accessToken?: unknown } | null)?.accessToken
  assert.equal(typeof token, 'string', 'the grant carries an access token')
  return token as string
}

let server = await start()
try {
  const wrong = await call(server, 'POST', '/api/auth/login', {
    body: { username: 'alice', password: 'nope' },
  })
  assert.equal(wrong.status, 401, 'wrong password')
  assert.equal(errorCode(wrong.body), 'invalid_credentials')

  const login = await call(server, 'POST', '/api/auth/login', {
    body: { username: 'alice', password: 'wonderland' },
  })
  assert.equal(login.status, 200, 'login')
  const refreshCookie = [...jar.keys()].find((name) => name.endsWith('baton_rt'))
  assert.ok(refreshCookie, `login sets the refresh cookie (got ${[...jar.keys()].join(', ')})`)
  const firstCookie = jar.get(refreshCookie)
  const firstToken = accessToken(login.body)

  const csrf = await call(server, 'POST', '/api/auth/refresh', { csrf: false })
  assert.equal(csrf.status, 403, 'refresh without X-CSRF')
  assert.equal(errorCode(csrf.body), 'csrf_failed')

  const jwks = await call(server, 'GET', '/api/.well-known/jwks.json')
  assert.equal(jwks.status, 200, 'JWKS under the mount point')

  // A restart on the same SQLite file keeps the session.
  await server.close()
  server = await start()

  const refresh = await call(server, 'POST', '/api/auth/refresh')
  assert.equal(refresh.status, 200, 'refresh after a restart')
  assert.notEqual(jar.get(refreshCookie), firstCookie, 'the refresh cookie is rotated')
  const token = accessToken(refresh.body)
  assert.notEqual(token, firstToken)

  const me = await call(server, 'GET', '/api/me', { token })
  assert.equal(me.status, 200, '/api/me with the access token')
  assert.deepEqual(me.body, { id: 'u-alice' })
  const verified = await call(server, 'GET', '/api/stateless', { token })
  assert.equal(verified.status, 200, 'a standalone requireAuth() verifies the same token')

  const anonymous = await call(server, 'GET', '/api/me')
  assert.equal(anonymous.status, 401, '/api/me without a token')
  assert.equal(errorCode(anonymous.body), 'invalid_token')

  const logout = await call(server, 'POST', '/api/auth/logout')
  assert.equal(logout.status, 204, 'logout')
  assert.equal(jar.has(refreshCookie), false, 'logout clears the refresh cookie')

  const revoked = await call(server, 'GET', '/api/me', { token })
  assert.equal(revoked.status, 401, 'bff.requireAuth() refuses the signed-out session at once')
  assert.equal(errorCode(revoked.body), 'invalid_token')
  const stateless = await call(server, 'GET', '/api/stateless', { token })
  assert.equal(stateless.status, 200, 'without checkRevoked the token lives until it expires')

  const after = await call(server, 'POST', '/api/auth/refresh')
  assert.equal(after.status, 401, 'refresh after logout')
  assert.equal(errorCode(after.body), 'no_session')

  const missing = await call(server, 'GET', '/api/nowhere')
  assert.equal(missing.status, 404, 'unknown route')
  assert.equal(errorCode(missing.body), 'not_found')

  for (const type of ['login_failed', 'login', 'csrf_failed', 'refresh', 'logout'] as const) {
    assert.ok(events.includes(type), `event ${type} was emitted (got ${events.join(', ')})`)
  }
  console.log(`smoke: ok (${events.length} events: ${[...new Set(events)].join(', ')})`)
} finally {
  await server.close()
}
