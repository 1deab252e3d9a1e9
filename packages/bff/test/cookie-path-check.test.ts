/**
 * Issue 19, point 1: a pinned `cookie.path` that cannot reach the refresh route where the BFF is
 * mounted fails silently (every refresh 401, a reload signs out). The BFF now says so once, in
 * the server's log, naming the option and both paths; the client sees nothing different.
 */
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { pathMatches } from '../src/cookie-path-check.js'
import type { BffOptions } from '../src/index.js'
import { client, createHarness } from './helpers.js'

/** A harness for `cookie`, mounted in a host app at `prefix`, and a client for it. */
async function mounted(cookie: BffOptions['cookie'], prefix: string) {
  // A client address, so that the only warning is the cookie path's (rate limits warn of none).
  const clientIp = () => '198.51.100.7'
  const h = await createHarness(cookie === undefined ? { clientIp } : { cookie, clientIp })
  const parent = new Hono()
  parent.route(prefix, h.bff)
  const name = cookie?.scope === 'auth-path' ? '__Secure-baton_rt' : '__Host-baton_rt'
  return { h, app: client(parent, `${prefix === '/' ? '' : prefix}/auth`, name) }
}

describe('issue 19: a cookie.path the refresh route is not under', () => {
  it('warns once through logger.warn, naming the option and the paths', async () => {
    const { h, app } = await mounted({ scope: 'auth-path', path: '/auth' }, '/api')

    const login = await app.login('alice')
    await app.refresh(login.cookie)
    await app.login('bob')

    expect(h.logger.warn.mock.calls).toStrictEqual([
      [
        '[baton] cookie.path "/auth" does not cover the refresh route "/api/auth/refresh": ' +
          'browsers will not send the refresh cookie there, so every refresh answers 401 ' +
          'no_session and a reload signs the user out. Leave cookie.path out to let the cookie ' +
          'follow the mount, or set it to "/api/auth".',
      ],
    ])
  })

  it('sends the client nothing it would not get otherwise', async () => {
    const wrong = await mounted({ scope: 'auth-path', path: '/auth' }, '/api')
    const right = await mounted({ scope: 'auth-path', path: '/api/auth' }, '/api')

    const answers = await Promise.all([wrong.app.login('alice'), right.app.login('alice')])

    const [a, b] = answers.map(({ res, body }) => ({
      status: res.status,
      headers: [...res.headers.keys()],
      body: Object.keys(body),
    }))
    expect(a).toStrictEqual(b)
    expect(wrong.h.logger.warn).toHaveBeenCalledTimes(1)
  })

  it('warns when the refresh route is reached first, CSRF refusal or not', async () => {
    const { h, app } = await mounted({ scope: 'auth-path', path: '/auth' }, '/api')

    await app.send('/api/auth/refresh', { method: 'POST' })

    expect(h.logger.warn).toHaveBeenCalledTimes(1)
    expect(h.logger.warn.mock.calls[0]![0]).toMatch(/^\[baton\] cookie\.path "\/auth" does not/)
  })

  it('warns for a path that is a prefix by characters only', async () => {
    const { h, app } = await mounted({ scope: 'auth-path', path: '/ap' }, '/api')

    await app.login('alice')

    expect(h.logger.warn).toHaveBeenCalledTimes(1)
  })

  it.each([
    ['a pinned path that matches the mount', { scope: 'auth-path', path: '/api/auth' }, '/api'],
    ['a pinned path above the mount', { scope: 'auth-path', path: '/api' }, '/api'],
    ['a pinned path, unmounted', { scope: 'auth-path', path: '/auth' }, '/'],
    ['a cookie that follows the mount', { scope: 'auth-path' }, '/api'],
    ['the default Path=/ cookie', undefined, '/api'],
  ] as const)('stays silent for %s', async (_, cookie, prefix) => {
    const { h, app } = await mounted(cookie, prefix)

    const login = await app.login('alice')
    await app.refreshOk(login.cookie)

    expect(h.logger.warn).not.toHaveBeenCalled()
  })
})

describe('pathMatches (RFC 6265 §5.1.4)', () => {
  it.each([
    ['/api/auth/refresh', '/api/auth', true],
    ['/api/auth/refresh', '/api', true],
    ['/api/auth/refresh', '/', true],
    ['/api/auth/refresh', '/api/auth/refresh', true],
    ['/api/auth/refresh', '/api/', true],
    ['/api/auth/refresh', '/auth', false],
    ['/api/auth/refresh', '/ap', false],
    ['/api/auth/refresh', '/api/auth/refresh/x', false],
  ])('%s under cookie path %s: %s', (requestPath, cookiePath, expected) => {
    expect(pathMatches(requestPath, cookiePath)).toBe(expected)
  })
})
