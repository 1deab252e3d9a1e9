import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  BffError,
  bffErrorHandler,
  bffNotFound,
  requireAuth,
  storeUnavailable,
  type RequireAuthVariables,
} from '../src/index.js'
import {
  ALICE,
  CLEARED_COOKIE,
  CLEARED_HINT,
  client,
  createHarness,
  CSRF,
  expectError,
  hintCookie,
  refreshSetCookie,
  testLogger,
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

    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
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
  it('keeps the default __Host- cookie on Path=/, and refreshes there', async () => {
    const h = await createHarness()
    const parent = new Hono()
    parent.route('/api', h.bff)
    const app = client(parent, '/api/auth')

    const login = await app.login('alice')
    const refreshed = await app.refreshOk(login.cookie)
    const loggedOut = await app.logout(refreshed.cookie)

    expect(login.res.headers.getSetCookie()).toStrictEqual([
      refreshSetCookie(login.cookie, 2592000),
      hintCookie(login.cookie, 2592000),
    ])
    expect(loggedOut.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
  })

  it('scopes an auth-path cookie to /api/auth by itself, and refreshes there', async () => {
    const h = await createHarness({ cookie: { scope: 'auth-path' } })
    const parent = new Hono()
    parent.route('/api', h.bff)
    const app = client(parent, '/api/auth', '__Secure-baton_rt')

    const login = await app.login('alice')
    const refreshed = await app.refreshOk(login.cookie)
    const bad = await app.refresh('garbage')
    const loggedOut = await app.logout(refreshed.cookie)

    expect(login.res.headers.getSetCookie()).toStrictEqual([
      `__Secure-baton_rt=${login.cookie}; Max-Age=2592000; Path=/api/auth; HttpOnly; Secure; SameSite=Strict`,
      hintCookie(login.cookie, 2592000),
    ])
    expect(refreshed.res.headers.getSetCookie()).toStrictEqual([
      `__Secure-baton_rt=${refreshed.cookie}; Max-Age=2592000; Path=/api/auth; HttpOnly; Secure; SameSite=Strict`,
      hintCookie(refreshed.cookie, 2592000),
    ])
    const cleared = [
      '__Secure-baton_rt=; Max-Age=0; Path=/api/auth; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict',
      CLEARED_HINT,
    ]
    expect(bad.headers.getSetCookie()).toStrictEqual(cleared)
    await expectError(bad, 401, 'no_session')
    expect(loggedOut.status).toBe(204)
    expect(loggedOut.headers.getSetCookie()).toStrictEqual(cleared)
    expect(h.events.map((e) => e.type)).toStrictEqual(['login', 'refresh', 'logout'])
  })

  it('follows each mount point of the same BFF, a basePath on the host app included', async () => {
    const h = await createHarness({ cookie: { scope: 'auth-path' } })
    const parent = new Hono().basePath('/v1')
    parent.route('/tenants/:tenant', h.bff)
    const app = client(parent, '/v1/tenants/acme/auth', '__Secure-baton_rt')

    const { res, cookie } = await app.login('alice')

    expect(res.headers.getSetCookie()).toStrictEqual([
      `__Secure-baton_rt=${cookie}; Max-Age=2592000; Path=/v1/tenants/acme/auth; HttpOnly; Secure; SameSite=Strict`,
      hintCookie(cookie, 2592000),
    ])
  })

  it('percent-encodes a mounted path the way browsers send it', async () => {
    const h = await createHarness({ cookie: { scope: 'auth-path' } })
    const parent = new Hono()
    parent.route('/:tenant', h.bff)
    const app = client(parent, '/caf%C3%A9%3B/auth', '__Secure-baton_rt')

    const { res, cookie } = await app.login('alice')

    expect(res.headers.getSetCookie()[0]).toBe(
      `__Secure-baton_rt=${cookie}; Max-Age=2592000; Path=/caf%C3%A9%3B/auth; HttpOnly; Secure; SameSite=Strict`,
    )
  })

  it('keeps an explicit cookie.path wherever it is mounted', async () => {
    const h = await createHarness({ cookie: { scope: 'auth-path', path: '/api' } })
    const parent = new Hono()
    parent.route('/api', h.bff)
    const app = client(parent, '/api/auth', '__Secure-baton_rt')

    const { res, cookie } = await app.login('alice')

    expect(res.headers.getSetCookie()).toStrictEqual([
      `__Secure-baton_rt=${cookie}; Max-Age=2592000; Path=/api; HttpOnly; Secure; SameSite=Strict`,
      hintCookie(cookie, 2592000),
    ])
  })

  it('answers an unknown route in the JSON shape when the host app uses bffNotFound', async () => {
    const h = await createHarness()
    const parent = new Hono()
    parent.route('/api', h.bff)
    parent.notFound(bffNotFound)

    await expectError(await client(parent).send('/api/auth/nope'), 404, 'not_found')
    await expectError(await client(parent).send('/elsewhere'), 404, 'not_found')
  })

  it('answers an unknown route as Hono’s plain 404 when the host app does not', async () => {
    const h = await createHarness()
    const parent = new Hono()
    parent.route('/api', h.bff)

    const res = await client(parent).send('/api/auth/nope')

    expect(res.status).toBe(404)
    expect(await res.text()).toBe('404 Not Found')
  })
})

describe('bffErrorHandler() on the host app', () => {
  const host = (logger = testLogger()) => {
    const app = new Hono()
    app.onError(bffErrorHandler({ logger }))
    app.get('/bff-error', () => {
      throw new BffError(409, 'invalid_request', 'Conflict.')
    })
    app.get('/store-down', () => {
      throw storeUnavailable(new Error('ECONNREFUSED'))
    })
    app.get('/teapot', () => {
      throw new HTTPException(418, { message: 'teapot' })
    })
    app.get('/too-large', () => {
      throw new HTTPException(413)
    })
    app.get('/boom', () => {
      throw new Error('boom')
    })
    return { app: client(app), logger }
  }

  it('answers a BffError as itself', async () => {
    const res = await host().app.send('/bff-error')

    expect(await res.json()).toStrictEqual({
      error: { code: 'invalid_request', message: 'Conflict.' },
    })
    expect(res.status).toBe(409)
  })

  it('answers a 5xx BffError as itself, with its headers, logging its cause', async () => {
    const { app, logger } = host()

    const res = await app.send('/store-down')

    expect(res.headers.get('retry-after')).toBe('1')
    await expectError(res, 503, 'store_unavailable')
    expect(logger.error.mock.calls).toStrictEqual([
      ['[baton] store_unavailable', new Error('ECONNREFUSED')],
    ])
  })

  it('keeps the status of a 4xx HTTPException, in the JSON shape', async () => {
    const { app } = host()

    const teapot = await app.send('/teapot')
    const tooLarge = await app.send('/too-large')

    expect(await teapot.json()).toStrictEqual({
      error: { code: 'invalid_request', message: 'teapot' },
    })
    expect(teapot.status).toBe(418)
    await expectError(tooLarge, 413, 'payload_too_large')
  })

  it('answers anything else as 500 internal, logging it and sending none of it', async () => {
    const { app, logger } = host()

    const res = await app.send('/boom')

    expect(await res.json()).toStrictEqual({
      error: { code: 'internal', message: 'Something went wrong on our side.' },
    })
    expect(res.status).toBe(500)
    expect(logger.error.mock.calls).toStrictEqual([
      ['[baton] unexpected error on GET /boom', new Error('boom')],
    ])
  })
})

describe('basePath and cookie options', () => {
  it('serve the routes under basePath, with an auth-path cookie’s path following it', async () => {
    const h = await createHarness({ basePath: '/session/', cookie: { scope: 'auth-path' } })

    const login = await h.login('alice')

    expect(login.res.headers.getSetCookie()).toStrictEqual([
      `__Secure-baton_rt=${login.cookie}; Max-Age=2592000; Path=/session; HttpOnly; Secure; SameSite=Strict`,
      hintCookie(login.cookie, 2592000),
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
      `sid=${refreshed.cookie}; Max-Age=2592000; Path=/; HttpOnly; SameSite=Strict`,
      hintCookie(refreshed.cookie, 2592000, { secure: false }),
    ])
    expect(loggedOut.headers.getSetCookie()).toStrictEqual([
      'sid=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict',
      'baton_session=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Strict',
    ])
  })

  it('accept a __Host- cookie on path /', async () => {
    const h = await createHarness({ cookie: { name: '__Host-baton', path: '/' } })

    const { res, cookie } = await h.login('alice')

    expect(res.headers.getSetCookie()).toStrictEqual([
      `__Host-baton=${cookie}; Max-Age=2592000; Path=/; HttpOnly; Secure; SameSite=Strict`,
      hintCookie(cookie, 2592000),
    ])
    await h.refreshOk(cookie)
  })
})
