import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { beforeEach, describe, expect, it } from 'vitest'
import { requireAuth, type RequireAuthVariables } from '../src/index.js'
import {
  ALICE,
  CLEARED_COOKIE,
  client,
  createHarness,
  CSRF,
  expectError,
  type Client,
  type Harness,
} from './helpers.js'

describe('the BFF mounted with parent.route("/", bff)', () => {
  let h: Harness
  let app: Client
  let parent: Hono<{ Variables: RequireAuthVariables }>

  beforeEach(async () => {
    h = await createHarness()
    parent = new Hono<{ Variables: RequireAuthVariables }>()
    // The host app's own error handler must not take over the BFF's errors.
    parent.onError((error, c) => c.text(`parent: ${error.message}`, 500))
    parent.route('/', h.bff)
    parent.use(
      '/api/*',
      requireAuth({ jwks: h.keys, issuer: 'baton', audience: 'baton-api', now: h.clock.now }),
    )
    parent.get('/api/me', (c) => c.json({ userId: c.var.userId }))
    parent.get('/boom', () => {
      throw new HTTPException(418, { message: 'teapot' })
    })
    app = client(parent)
  })

  it('logs in, refreshes, lists sessions and logs out', async () => {
    const login = await app.login('alice')
    const refreshed = await app.refreshOk(login.cookie)
    const sessions = await app.listSessions(refreshed.body.accessToken)
    const logout = await app.logout(refreshed.cookie)

    expect(login.body.user).toStrictEqual(ALICE)
    expect(sessions.status).toBe(200)
    expect(logout.status).toBe(204)
    expect(h.events.map((e) => e.type)).toStrictEqual(['login', 'refresh', 'logout'])
  })

  it('serves the JWKS', async () => {
    const res = await app.send('/.well-known/jwks.json')

    expect(await res.json()).toStrictEqual(await h.keys.jwks())
  })

  it('answers refresh errors in the JSON shape, with the cookie cleared', async () => {
    const res = await app.refresh('not-a-token')

    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE])
    await expectError(res, 401, 'no_session')
  })

  it('answers CSRF failures in the JSON shape', async () => {
    const res = await app.send('/auth/login', { method: 'POST', body: '{}' })

    await expectError(res, 403, 'csrf_failed')
  })

  it('answers invalid JSON in the JSON shape', async () => {
    const res = await app.post('/login', { body: '{' })

    await expectError(res, 400, 'invalid_request')
  })

  it('answers oversized bodies in the JSON shape', async () => {
    const res = await app.post('/login', { body: 'x'.repeat(9 * 1024) })

    await expectError(res, 413, 'payload_too_large')
  })

  it('answers bad credentials in the JSON shape', async () => {
    const res = await app.post('/login', { body: '{"username":"alice","password":"no"}' })

    await expectError(res, 401, 'invalid_credentials')
  })

  it('answers bad bearer tokens on /auth/sessions in the JSON shape, with the challenge', async () => {
    const res = await app.listSessions('nope')

    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/)
    await expectError(res, 401, 'invalid_token')
  })

  it('answers unknown sessions in the JSON shape', async () => {
    const { body } = await app.login('alice')

    const res = await app.deleteSession(body.accessToken, 'AAAAAAAAAAAAAAAAAAAAAA')

    await expectError(res, 404, 'not_found')
  })

  it('answers store failures in the JSON shape', async () => {
    const { cookie } = await app.login('alice')
    h.store.get = () => Promise.reject(new Error('ECONNREFUSED'))

    const res = await app.refresh(cookie)

    expect(res.headers.get('retry-after')).toBe('1')
    await expectError(res, 503, 'store_unavailable')
  })

  it('lets the host app verify the BFF’s tokens with requireAuth()', async () => {
    const { body } = await app.login('alice')

    const res = await app.send('/api/me', {
      headers: { authorization: `Bearer ${body.accessToken}` },
    })

    expect(await res.json()).toStrictEqual({ userId: ALICE.id })
  })

  it('leaves the host app’s own errors to the host app', async () => {
    const res = await app.send('/boom')

    expect(res.status).toBe(500)
    expect(await res.text()).toBe('parent: teapot')
  })
})

describe('the BFF mounted under a prefix', () => {
  it('works at /api/auth with the cookie path set to match', async () => {
    const h = await createHarness({ cookie: { path: '/api/auth' } })
    const parent = new Hono()
    parent.route('/api', h.bff)
    const app = client(parent, '/api/auth')

    const login = await app.login('alice')
    const refreshed = await app.refreshOk(login.cookie)
    const bad = await app.refresh('garbage')

    expect(refreshed.res.headers.getSetCookie()).toStrictEqual([
      `baton_rt=${refreshed.cookie}; Max-Age=2592000; Path=/api/auth; HttpOnly; Secure; SameSite=Strict`,
    ])
    expect(bad.headers.getSetCookie()).toStrictEqual([
      'baton_rt=; Max-Age=0; Path=/api/auth; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict',
    ])
    await expectError(bad, 401, 'no_session')
  })
})

describe('basePath and cookie options', () => {
  it('serve the routes under basePath, with the cookie path following it', async () => {
    const h = await createHarness({ basePath: '/session/' })

    const login = await h.login('alice')

    expect(login.res.headers.getSetCookie()).toStrictEqual([
      `baton_rt=${login.cookie}; Max-Age=2592000; Path=/session; HttpOnly; Secure; SameSite=Strict`,
    ])
    await expectError(
      await h.send('/auth/login', { method: 'POST', headers: CSRF }),
      404,
      'not_found',
    )
  })

  it('name the cookie and drop Secure when told to', async () => {
    const h = await createHarness({ cookie: { name: 'sid', secure: false } })

    const login = await h.login('alice')
    const refreshed = await h.refreshOk(login.cookie)
    const loggedOut = await h.logout(refreshed.cookie)

    expect(refreshed.res.headers.getSetCookie()).toStrictEqual([
      `sid=${refreshed.cookie}; Max-Age=2592000; Path=/auth; HttpOnly; SameSite=Strict`,
    ])
    expect(loggedOut.headers.getSetCookie()).toStrictEqual([
      'sid=; Max-Age=0; Path=/auth; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict',
    ])
  })

  it('accept a __Host- cookie on path /', async () => {
    const h = await createHarness({ cookie: { name: '__Host-baton', path: '/' } })

    const { res, cookie } = await h.login('alice')

    expect(res.headers.getSetCookie()).toStrictEqual([
      `__Host-baton=${cookie}; Max-Age=2592000; Path=/; HttpOnly; Secure; SameSite=Strict`,
    ])
    await h.refreshOk(cookie)
  })
})
