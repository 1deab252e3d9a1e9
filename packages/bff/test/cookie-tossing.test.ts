/**
 * M3 of issue 12: the refresh cookie had no name prefix, and when the browser sent two cookies of
 * that name (one planted from a sibling subdomain) the BFF took the first, swapping the victim into
 * the planter's session. Now the cookie is `__Host-baton_rt` on Path=/ (a subdomain cannot set
 * that name), and a request carrying the name twice is refused, never guessed.
 */
import { Hono } from 'hono'
import { beforeEach, describe, expect, it } from 'vitest'
import { createBff, type RefreshCookieOptions } from '../src/index.js'
import {
  ALICE,
  authenticate,
  BOB,
  CLEARED_HINT,
  client,
  createHarness,
  expectError,
  hintCookie,
  passwordOf,
  REFRESH_COOKIE,
  refreshSetCookie,
  T0,
  testLogger,
  type Harness,
} from './helpers.js'

describe('M3: the default refresh cookie', () => {
  it('is __Host-baton_rt on Path=/, wherever the BFF is mounted', async () => {
    const h = await createHarness()
    const parent = new Hono()
    parent.route('/api', h.bff)

    const direct = await h.login('alice')
    const mounted = await client(parent, '/api/auth').login('alice')

    expect(direct.res.headers.getSetCookie()).toStrictEqual([
      `__Host-baton_rt=${direct.cookie}; Max-Age=2592000; Path=/; HttpOnly; Secure; SameSite=Strict`,
      hintCookie(direct.cookie, 2592000),
    ])
    expect(mounted.res.headers.getSetCookie()[0]).toBe(refreshSetCookie(mounted.cookie, 2592000))
  })

  it('drops the prefix, which needs Secure, when secure is off', async () => {
    const h = await createHarness({ cookie: { secure: false } })

    const { res, cookie } = await h.login('alice')

    expect(res.headers.getSetCookie()[0]).toBe(
      `baton_rt=${cookie}; Max-Age=2592000; Path=/; HttpOnly; SameSite=Strict`,
    )
  })

  it('is __Secure-baton_rt on the auth path with scope "auth-path"', async () => {
    const h = await createHarness({ cookie: { scope: 'auth-path' } })

    const { res, cookie } = await h.login('alice')

    expect(res.headers.getSetCookie()[0]).toBe(
      `__Secure-baton_rt=${cookie}; Max-Age=2592000; Path=/auth; HttpOnly; Secure; SameSite=Strict`,
    )
  })
})

describe.each([
  ['the default __Host- cookie', {}],
  ['an auth-path cookie', { cookie: { scope: 'auth-path' } }],
] as const)('M3: a planted second cookie of the same name, with %s', (_, options) => {
  let h: Harness
  let victim: Awaited<ReturnType<Harness['login']>>
  let attacker: Awaited<ReturnType<Harness['login']>>
  let name: string
  let cleared: string[]
  let planted: string
  beforeEach(async () => {
    h = await createHarness(options)
    victim = await h.login('alice')
    attacker = await h.login('bob')
    name = victim.res.headers.getSetCookie()[0]!.split('=')[0]!
    cleared = [
      `${name}=; Max-Age=0; Path=${name === REFRESH_COOKIE ? '/' : '/auth'}; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict`,
      CLEARED_HINT,
    ]
    // A cookie with a longer Path comes first in the header (RFC 6265 §5.4): the planted one.
    planted = `theme=dark; ${name}=${attacker.cookie}; ${name}=${victim.cookie}`
    h.events.length = 0
  })

  it('makes refresh answer 401 no_session with the cookies cleared, never the planted session', async () => {
    const res = await h.post('/refresh', { headers: { cookie: planted } })

    expect(res.headers.getSetCookie()).toStrictEqual(cleared)
    await expectError(res, 401, 'no_session')
  })

  it('emits cookie_conflict with the session ids the cookies claim, and rotates neither', async () => {
    await h.post('/refresh', { headers: { cookie: planted, 'user-agent': 'Vitest/1.0' } })

    expect(h.events).toStrictEqual([
      {
        type: 'cookie_conflict',
        route: 'refresh',
        count: 2,
        sessionIds: [attacker.body.sessionId, victim.body.sessionId],
        at: T0,
        ip: null,
        userAgent: 'Vitest/1.0',
      },
    ])
    expect((await h.refreshOk(victim.cookie)).body.user).toStrictEqual(ALICE)
    expect((await h.refreshOk(attacker.cookie)).body.user).toStrictEqual(BOB)
  })

  it('makes logout answer 401 no_session with the cookies cleared, ending neither session', async () => {
    const res = await h.post('/logout', { headers: { cookie: planted } })

    expect(res.headers.getSetCookie()).toStrictEqual(cleared)
    await expectError(res, 401, 'no_session')
    expect(h.events.map((e) => [e.type, 'route' in e ? e.route : null])).toStrictEqual([
      ['cookie_conflict', 'logout'],
    ])
    await h.refreshOk(victim.cookie)
    await h.refreshOk(attacker.cookie)
  })

  it('makes login answer 401 no_session with the cookies cleared, before asking authenticate', async () => {
    const res = await h.post('/login', {
      headers: { cookie: planted, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: passwordOf('alice') }),
    })

    expect(res.headers.getSetCookie()).toStrictEqual(cleared)
    await expectError(res, 401, 'no_session')
    expect(h.events.map((e) => e.type)).toStrictEqual(['cookie_conflict'])
  })

  it('refuses the same value sent twice as well, reporting its session once', async () => {
    const res = await h.post('/refresh', {
      headers: { cookie: `${name}=${victim.cookie}; ${name}=${victim.cookie}; ${name}=x` },
    })

    await expectError(res, 401, 'no_session')
    expect(h.eventsOf('cookie_conflict')).toStrictEqual([
      expect.objectContaining({ count: 3, sessionIds: [victim.body.sessionId] }),
    ])
  })
})

describe('M3: cookie options', () => {
  const bare = (cookie: RefreshCookieOptions) => () =>
    createBff({ authenticate, logger: testLogger(), cookie })

  it.each<[string, RefreshCookieOptions, string]>([
    [
      'an unknown scope',
      { scope: 'everywhere' as 'root' },
      'createBff: cookie.scope must be "root" or "auth-path", got "everywhere"',
    ],
    [
      'a path other than / with scope root',
      { path: '/api' },
      'createBff: cookie.path "/api" needs cookie.scope "auth-path": with scope "root" the cookie is on Path=/',
    ],
    [
      'a __Host- name with scope auth-path',
      { name: '__Host-rt', scope: 'auth-path' },
      'createBff: cookie.name with the __Host- prefix requires cookie.path "/"',
    ],
    [
      'the default __Host- name spelled out without Secure',
      { name: REFRESH_COOKIE, secure: false },
      'createBff: cookie.name with a __Host- or __Secure- prefix requires cookie.secure',
    ],
    [
      'a secure flag that is not a boolean',
      { secure: 'yes' as unknown as boolean },
      'createBff: cookie.secure must be a boolean',
    ],
  ])('throws a TypeError for %s', (_, cookie, message) => {
    expect(bare(cookie)).toThrow(new TypeError(message))
  })

  it('keeps the session hint on its own default name, baton_session, and Path=/', async () => {
    const h = await createHarness({ cookie: { scope: 'auth-path' } })

    const { res, cookie } = await h.login('alice')
    const loggedOut = await h.logout()

    expect(res.headers.getSetCookie()[1]).toBe(hintCookie(cookie, 2592000))
    expect(loggedOut.headers.getSetCookie()[1]).toBe(CLEARED_HINT)
  })
})
