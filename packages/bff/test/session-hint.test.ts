/**
 * The session hint: a script-readable cookie set and cleared together with the refresh cookie, so
 * the SPA can skip the boot refresh of a visitor who holds no session.
 */
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import {
  CLEARED_COOKIE,
  CLEARED_HINT,
  client,
  createHarness,
  expectError,
  HOUR,
  REFRESH_COOKIE,
  refreshSetCookie,
  hintCookie,
} from './helpers.js'

describe('the session hint cookie', () => {
  it('is set beside the refresh cookie on login: 1, not HttpOnly, Path=/, the same Max-Age', async () => {
    const h = await createHarness()

    const { res, cookie } = await h.login('alice')

    expect(res.headers.getSetCookie()).toStrictEqual([
      refreshSetCookie(cookie, 2592000),
      hintCookie(cookie, 2592000),
    ])
  })

  it('is set again on every refresh, counting down with the refresh cookie', async () => {
    const h = await createHarness()
    const login = await h.login('alice')
    h.clock.advance(23 * HOUR)

    const { res, cookie } = await h.refreshOk(login.cookie)

    expect(res.headers.getSetCookie()).toStrictEqual([
      refreshSetCookie(cookie, 2509200),
      hintCookie(cookie, 2509200),
    ])
  })

  it('holds a tag of the session: the same across its refreshes, another for each sign-in, not its id', async () => {
    const h = await createHarness()
    const hintIn = (res: Response) =>
      res.headers
        .getSetCookie()
        .find((line) => line.startsWith('baton_session='))!
        .split(';')[0]!
        .slice('baton_session='.length)
    const first = await h.login('alice')
    const refreshed = await h.refreshOk(first.cookie)
    const second = await h.login('alice')
    const { sessionId } = first.body

    expect(hintIn(first.res)).toMatch(/^[\w-]{12}$/)
    expect(hintIn(refreshed.res)).toBe(hintIn(first.res))
    expect(hintIn(second.res)).not.toBe(hintIn(first.res))
    expect(sessionId).toMatch(/^[\w-]{22}$/)
    expect(sessionId).not.toContain(hintIn(first.res))
  })

  it('is cleared with the refresh cookie on logout', async () => {
    const h = await createHarness()
    const { cookie } = await h.login('alice')

    const res = await h.logout(cookie)

    expect(res.status).toBe(204)
    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
  })

  it('is cleared with the refresh cookie on logout without any cookie (a stale hint)', async () => {
    const h = await createHarness()

    const res = await h.logout()

    expect(res.status).toBe(204)
    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
  })

  it.each<[string, string | undefined]>([
    ['no cookie', undefined],
    ['a garbage cookie', 'garbage'],
  ])('is cleared with the refresh cookie by a 401 from refresh (%s)', async (_, cookie) => {
    const h = await createHarness()

    const res = await h.refresh(cookie)

    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    await expectError(res, 401, 'no_session')
  })

  it('is cleared with the refresh cookie by a 401 from refresh (a logged-out session)', async () => {
    const h = await createHarness()
    const { cookie } = await h.login('alice')
    await h.logout(cookie)

    const res = await h.refresh(cookie)

    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    await expectError(res, 401, 'session_revoked')
  })

  it('is left alone by a refused login and a refused CSRF check', async () => {
    const h = await createHarness()
    const { cookie } = await h.login('alice')

    const wrongPassword = await h.post('/login', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'nope' }),
    })
    const noCsrf = await h.send('/auth/refresh', {
      method: 'POST',
      headers: { cookie: `${REFRESH_COOKIE}=${cookie}` },
    })

    expect(wrongPassword.headers.getSetCookie()).toStrictEqual([])
    await expectError(wrongPassword, 401, 'invalid_credentials')
    expect(noCsrf.headers.getSetCookie()).toStrictEqual([])
    await expectError(noCsrf, 403, 'csrf_failed')
  })

  it('stays on Path=/ when the BFF is mounted under a prefix with an auth-path cookie', async () => {
    const h = await createHarness({ cookie: { scope: 'auth-path' } })
    const parent = new Hono()
    parent.route('/api', h.bff)
    const app = client(parent, '/api/auth', '__Secure-baton_rt')

    const login = await app.login('alice')
    const loggedOut = await app.logout(login.cookie)

    expect(login.res.headers.getSetCookie()).toStrictEqual([
      `__Secure-baton_rt=${login.cookie}; Max-Age=2592000; Path=/api/auth; HttpOnly; Secure; SameSite=Strict`,
      hintCookie(login.cookie, 2592000),
    ])
    expect(loggedOut.headers.getSetCookie()).toStrictEqual([
      '__Secure-baton_rt=; Max-Age=0; Path=/api/auth; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict',
      'baton_session=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; SameSite=Strict',
    ])
  })

  it('takes its name from sessionHintCookie', async () => {
    const h = await createHarness({ sessionHintCookie: '__Host-signed_in' })

    const login = await h.login('alice')
    const bad = await h.refresh('garbage')

    expect(login.res.headers.getSetCookie()).toStrictEqual([
      refreshSetCookie(login.cookie, 2592000),
      hintCookie(login.cookie, 2592000, { name: '__Host-signed_in' }),
    ])
    expect(bad.headers.getSetCookie()).toStrictEqual([
      CLEARED_COOKIE,
      '__Host-signed_in=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; SameSite=Strict',
    ])
  })

  it('is neither set nor cleared with sessionHintCookie: false', async () => {
    const h = await createHarness({ sessionHintCookie: false })

    const login = await h.login('alice')
    const refreshed = await h.refreshOk(login.cookie)
    const loggedOut = await h.logout(refreshed.cookie)
    const bad = await h.refresh(refreshed.cookie)

    expect(login.res.headers.getSetCookie()).toStrictEqual([
      refreshSetCookie(login.cookie, 2592000),
    ])
    expect(refreshed.res.headers.getSetCookie()).toStrictEqual([
      refreshSetCookie(refreshed.cookie, 2592000),
    ])
    expect(loggedOut.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE])
    expect(bad.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE])
    await expectError(bad, 401, 'session_revoked')
  })
})
