/**
 * Issue 13, item 2: anomaly detection on refresh, black-box through the routes. A refresh is
 * compared with the session's last request (browser family and OS, network, cadence); each
 * signal takes its configured action and emits `anomaly_detected`.
 */
import { Hono } from 'hono'
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { requireAuth, type AnomalyContext, type RequireAuthVariables } from '../src/index.js'
import {
  ALICE,
  CLEARED_COOKIE,
  CLEARED_HINT,
  createHarness,
  DAY,
  expectError,
  MINUTE,
  SECOND,
  T0,
  type Harness,
} from './helpers.js'

const CHROME_120_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'
const CHROME_131_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
const FIREFOX_121_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0'

const HOME = '203.0.113.7'
const ua = (userAgent: string) => ({ 'user-agent': userAgent })

/** Alice signed in with Chrome on Windows from HOME. */
async function signIn(h: Harness) {
  const login = await h.login('alice', { headers: ua(CHROME_120_WINDOWS), ip: HOME })
  h.events.length = 0
  h.clock.advance(MINUTE)
  return login
}

/** The fields every event about Alice's session has at `at`, from `ip` with `userAgent`. */
const about = (sessionId: string, at: number, ip: string | null, userAgent: string | null) => ({
  sessionId,
  userId: ALICE.id,
  at,
  ip,
  userAgent,
})

/** What the BFF emits when a Firefox on Linux refreshes the Chrome on Windows session `session`. */
const revokedForFirefox = (session: ReturnType<typeof about>) => [
  {
    type: 'anomaly_detected',
    phase: 'refresh',
    signals: [
      {
        type: 'user_agent_changed',
        from: 'Chrome on Windows',
        to: 'Firefox on Linux',
        action: 'revoke',
      },
    ],
    action: 'revoke',
    ...session,
  },
  { type: 'revoked', reason: 'anomaly', ...session },
]

describe('user_agent_changed (default: revoke)', () => {
  it('ends the session when another browser family presents its cookie: 401 session_revoked', async () => {
    const h = await createHarness()
    const login = await signIn(h)

    const res = await h.refresh(login.cookie, { headers: ua(FIREFOX_121_LINUX), ip: HOME })

    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    await expectError(res, 401, 'session_revoked')
    const session = about(login.body.sessionId, T0 + MINUTE, HOME, FIREFOX_121_LINUX)
    expect(h.events).toStrictEqual(revokedForFirefox(session))
    // The owner's own browser is signed out too: the server cannot tell which one is the thief.
    const owner = await h.refresh(login.cookie, { headers: ua(CHROME_120_WINDOWS), ip: HOME })
    await expectError(owner, 401, 'session_revoked')
    expect((await h.store.get(login.body.sessionId))?.revokedReason).toBe('anomaly')
  })

  it('counts a refresh without User-Agent as another family (a thief cannot just omit it)', async () => {
    const h = await createHarness()
    const login = await signIn(h)

    const res = await h.refresh(login.cookie, { ip: HOME })

    await expectError(res, 401, 'session_revoked')
    expect(h.eventsOf('anomaly_detected').map((e) => e.signals)).toStrictEqual([
      [{ type: 'user_agent_changed', from: 'Chrome on Windows', to: null, action: 'revoke' }],
    ])
  })

  it('ends the session when another browser replays the previous cookie inside the grace period', async () => {
    const h = await createHarness()
    const login = await signIn(h)
    const owner = await h.refreshOk(login.cookie, { headers: ua(CHROME_120_WINDOWS), ip: HOME })
    h.events.length = 0
    h.clock.advance(2 * SECOND)

    // A copy of the cookie the owner just rotated: within the grace period it would get the
    // owner's successor without ever being compared with the owner's browser.
    const res = await h.refresh(login.cookie, { headers: ua(FIREFOX_121_LINUX), ip: HOME })

    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    await expectError(res, 401, 'session_revoked')
    const session = about(login.body.sessionId, T0 + MINUTE + 2 * SECOND, HOME, FIREFOX_121_LINUX)
    expect(h.events).toStrictEqual(revokedForFirefox(session))
    const next = await h.refresh(owner.cookie, { headers: ua(CHROME_120_WINDOWS), ip: HOME })
    await expectError(next, 401, 'session_revoked')
  })

  it('marks only the duplicate’s token for step-up when a grace-period duplicate asks for it', async () => {
    const h = await createHarness({ anomalies: { actions: { ip_changed: 'step_up' } } })
    const login = await signIn(h)
    const owner = await h.refreshOk(login.cookie, { headers: ua(CHROME_120_WINDOWS), ip: HOME })
    h.events.length = 0

    const other = await h.refreshOk(login.cookie, {
      headers: ua(CHROME_120_WINDOWS),
      ip: '198.51.100.20',
    })

    expect(other.cookie).toBe(owner.cookie)
    expect(decodeJwt(other.body.accessToken).auth_time).toBe(0)
    expect(decodeJwt(owner.body.accessToken).auth_time).toBe(T0 / 1000)
    expect(h.eventsOf('anomaly_detected').map((e) => e.action)).toStrictEqual(['step_up'])
  })

  it('lets a browser update through without an event', async () => {
    const h = await createHarness()
    const login = await signIn(h)

    const first = await h.refreshOk(login.cookie, { headers: ua(CHROME_131_WINDOWS), ip: HOME })
    await h.refreshOk(first.cookie, { headers: ua(CHROME_131_WINDOWS), ip: HOME })

    expect(h.events.map((e) => e.type)).toStrictEqual(['refresh', 'refresh'])
  })
})

describe('ip_changed (default: log)', () => {
  it('lets the refresh through from another network and reports it once', async () => {
    const h = await createHarness()
    const login = await signIn(h)

    const moved = await h.refreshOk(login.cookie, {
      headers: ua(CHROME_120_WINDOWS),
      ip: '198.51.100.20',
    })
    await h.refreshOk(moved.cookie, { headers: ua(CHROME_120_WINDOWS), ip: '198.51.100.21' })

    const session = about(login.body.sessionId, T0 + MINUTE, '198.51.100.20', CHROME_120_WINDOWS)
    expect(h.events.map((e) => e.type)).toStrictEqual(['anomaly_detected', 'refresh', 'refresh'])
    expect(h.events[0]).toStrictEqual({
      type: 'anomaly_detected',
      phase: 'refresh',
      signals: [
        { type: 'ip_changed', from: '203.0.113.0/24', to: '198.51.100.0/24', action: 'log' },
      ],
      action: 'log',
      ...session,
    })
  })

  it('sees no change inside an IPv4 /24, an IPv6 /48, or an IPv4-mapped address of the same /24', async () => {
    const h = await createHarness()
    const login = await signIn(h)
    let cookie = login.cookie
    for (const ip of ['203.0.113.200', '::ffff:203.0.113.9']) {
      cookie = (await h.refreshOk(cookie, { headers: ua(CHROME_120_WINDOWS), ip })).cookie
    }
    const v6 = await h.login('bob', { headers: ua(CHROME_120_WINDOWS), ip: '2001:db8:1:2::1' })
    cookie = v6.cookie
    for (const ip of ['2001:db8:1:ffff::9', '2001:db8:2::1']) {
      cookie = (await h.refreshOk(cookie, { headers: ua(CHROME_120_WINDOWS), ip })).cookie
    }

    expect(h.eventsOf('anomaly_detected').map((e) => e.signals)).toStrictEqual([
      [{ type: 'ip_changed', from: '2001:db8:1::/48', to: '2001:db8:2::/48', action: 'log' }],
    ])
  })

  it('emits nothing with action ignore', async () => {
    const h = await createHarness({ anomalies: { actions: { ip_changed: 'ignore' } } })
    const login = await signIn(h)

    await h.refreshOk(login.cookie, { headers: ua(CHROME_120_WINDOWS), ip: '198.51.100.20' })

    expect(h.events.map((e) => e.type)).toStrictEqual(['refresh'])
  })
})

describe('step_up', () => {
  /** An API whose route demands a sign-in at most five minutes old. */
  function sensitive(h: Harness) {
    const app = new Hono<{ Variables: RequireAuthVariables }>()
      .use(
        requireAuth({
          jwks: h.keys,
          issuer: 'baton',
          audience: 'baton-api',
          maxAge: '5m',
          now: h.clock.now,
        }),
      )
      .post('/transfer', (c) => c.json({ ok: true }))
    return (token: string) =>
      app.request('/transfer', { method: 'POST', headers: { authorization: `Bearer ${token}` } })
  }

  it('rotates with auth_time 0, so the next sensitive request demands re-authentication', async () => {
    const h = await createHarness({ anomalies: { actions: { ip_changed: 'step_up' } } })
    const transfer = sensitive(h)
    const login = await signIn(h)
    expect((await transfer(login.body.accessToken)).status).toBe(200)

    const res = await h.refreshOk(login.cookie, {
      headers: ua(CHROME_120_WINDOWS),
      ip: '198.51.100.20',
    })

    expect(decodeJwt(res.body.accessToken).auth_time).toBe(0)
    const refused = await transfer(res.body.accessToken)
    expect(refused.status).toBe(401)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'step_up_required',
    )
    expect((await h.store.get(login.body.sessionId))?.authTime).toBe(0)
    expect(h.events.map((e) => e.type)).toStrictEqual(['anomaly_detected', 'refresh'])
    expect(h.eventsOf('anomaly_detected')[0]?.action).toBe('step_up')
    // It stays demanded: a later, unremarkable refresh does not give the old auth_time back.
    const later = await h.refreshOk(res.cookie, {
      headers: ua(CHROME_120_WINDOWS),
      ip: '198.51.100.20',
    })
    expect(decodeJwt(later.body.accessToken).auth_time).toBe(0)
  })
})

describe('refresh_too_fast (default: log)', () => {
  const options = { anomalies: { refreshTooFast: { max: 3, within: '1m' } } } as const

  it('reports the rotation past max within the window, and lets it through', async () => {
    const h = await createHarness(options)
    const login = await signIn(h)
    let cookie = login.cookie
    for (let i = 0; i < 4; i++) {
      h.clock.advance(SECOND)
      cookie = (await h.refreshOk(cookie, { headers: ua(CHROME_120_WINDOWS), ip: HOME })).cookie
    }

    expect(h.eventsOf('anomaly_detected')).toStrictEqual([
      {
        type: 'anomaly_detected',
        phase: 'refresh',
        signals: [{ type: 'refresh_too_fast', count: 4, withinMs: MINUTE, action: 'log' }],
        action: 'log',
        ...about(login.body.sessionId, T0 + MINUTE + 4 * SECOND, HOME, CHROME_120_WINDOWS),
      },
    ])
  })

  it('does not count grace-window duplicates (two tabs, a lost response)', async () => {
    const h = await createHarness(options)
    const login = await signIn(h)
    let cookie = login.cookie
    for (let i = 0; i < 3; i++) {
      h.clock.advance(SECOND)
      const next = await h.refreshOk(cookie, { headers: ua(CHROME_120_WINDOWS), ip: HOME })
      // The same token again, inside the grace period: the successor already minted.
      const again = await h.refreshOk(cookie, { headers: ua(CHROME_120_WINDOWS), ip: HOME })
      expect(again.cookie).toBe(next.cookie)
      cookie = next.cookie
    }

    expect(h.eventsOf('anomaly_detected')).toStrictEqual([])
    expect(h.eventsOf('refresh').map((e) => e.duplicate)).toStrictEqual([
      false,
      true,
      false,
      true,
      false,
      true,
    ])
  })

  it('forgives a fast reloader with the defaults: 30 reloads in a minute pass silently', async () => {
    const h = await createHarness()
    const login = await signIn(h)
    let cookie = login.cookie
    for (let i = 0; i < 30; i++) {
      h.clock.advance(2 * SECOND)
      cookie = (await h.refreshOk(cookie, { headers: ua(CHROME_120_WINDOWS), ip: HOME })).cookie
    }
    expect(h.eventsOf('anomaly_detected')).toStrictEqual([])

    // A script is not: the 31st rotation within a minute is reported.
    h.clock.advance(100)
    await h.refreshOk(cookie, { headers: ua(CHROME_120_WINDOWS), ip: HOME })
    expect(h.eventsOf('anomaly_detected').map((e) => e.signals)).toStrictEqual([
      [{ type: 'refresh_too_fast', count: 31, withinMs: MINUTE, action: 'log' }],
    ])
  })

  it('forgets rotations older than the window', async () => {
    const h = await createHarness(options)
    const login = await signIn(h)
    let cookie = login.cookie
    for (let i = 0; i < 6; i++) {
      h.clock.advance(20 * SECOND)
      cookie = (await h.refreshOk(cookie, { headers: ua(CHROME_120_WINDOWS), ip: HOME })).cookie
    }
    // Every window of a minute holds three rotations (t, t+20 s, t+40 s), never four.
    expect(h.eventsOf('anomaly_detected')).toStrictEqual([])
  })

  it('ends the session when configured to revoke', async () => {
    const h = await createHarness({
      anomalies: {
        refreshTooFast: { max: 1, within: '1m' },
        actions: { refresh_too_fast: 'revoke' },
      },
    })
    const login = await signIn(h)
    const first = await h.refreshOk(login.cookie, { headers: ua(CHROME_120_WINDOWS), ip: HOME })
    h.clock.advance(SECOND)

    const res = await h.refresh(first.cookie, { headers: ua(CHROME_120_WINDOWS), ip: HOME })

    await expectError(res, 401, 'session_revoked')
    expect(
      h.events.map((e) => (e.type === 'revoked' ? `revoked:${e.reason}` : e.type)),
    ).toStrictEqual(['refresh', 'anomaly_detected', 'revoked:anomaly'])
  })

  it('does not count refreshes that rotated nothing (503s the client retries)', async () => {
    let failing = true
    const h = await createHarness({
      anomalies: {
        refreshTooFast: { max: 2, within: '1m' },
        actions: { refresh_too_fast: 'revoke' },
        detect: ({ phase }) => {
          if (failing && phase === 'refresh') throw new Error('geo lookup timed out')
          return []
        },
      },
    })
    const login = await signIn(h)
    const same = { headers: ua(CHROME_120_WINDOWS), ip: HOME }
    for (let i = 0; i < 3; i++) {
      await expectError(await h.refresh(login.cookie, same), 503, 'store_unavailable')
      h.clock.advance(SECOND)
    }
    failing = false
    // The one rotation of the session in the window. Before: the three refused ones counted, and
    // the application's failing hook signed the owner out.
    expect((await h.refresh(login.cookie, same)).status).toBe(200)
    expect(h.eventsOf('anomaly_detected')).toStrictEqual([])
  })
})

describe('the application’s detect hook', () => {
  it('sees the session before the request, the request and the built-in signals; its action is taken', async () => {
    const seen: AnomalyContext[] = []
    const h = await createHarness({
      anomalies: {
        detect: (context) => {
          seen.push(context)
          return context.c.req.header('x-country') === 'NZ'
            ? [{ name: 'impossible_travel', action: 'revoke', detail: 'FR to NZ in 1 minute' }]
            : []
        },
      },
    })
    const login = await signIn(h)

    const ok = await h.refreshOk(login.cookie, { headers: ua(CHROME_120_WINDOWS), ip: HOME })
    h.clock.advance(MINUTE)
    const res = await h.refresh(ok.cookie, {
      headers: { ...ua(CHROME_120_WINDOWS), 'x-country': 'NZ' },
      ip: '198.51.100.20',
    })

    await expectError(res, 401, 'session_revoked')
    expect(seen.map(({ c: _, ...rest }) => rest)).toStrictEqual([
      {
        phase: 'login',
        session: {
          id: login.body.sessionId,
          userId: ALICE.id,
          user: ALICE,
          createdAt: T0,
          lastUsedAt: T0,
          expiresAt: T0 + 30 * DAY,
          idleExpiresAt: T0 + DAY,
          userAgent: CHROME_120_WINDOWS,
          ip: HOME,
        },
        request: { ip: HOME, userAgent: CHROME_120_WINDOWS },
        signals: [],
      },
      {
        phase: 'refresh',
        session: {
          id: login.body.sessionId,
          userId: ALICE.id,
          user: ALICE,
          createdAt: T0,
          lastUsedAt: T0,
          expiresAt: T0 + 30 * DAY,
          idleExpiresAt: T0 + DAY,
          userAgent: CHROME_120_WINDOWS,
          ip: HOME,
        },
        request: { ip: HOME, userAgent: CHROME_120_WINDOWS },
        signals: [],
      },
      expect.objectContaining({
        phase: 'refresh',
        request: { ip: '198.51.100.20', userAgent: CHROME_120_WINDOWS },
        signals: [
          { type: 'ip_changed', from: '203.0.113.0/24', to: '198.51.100.0/24', action: 'log' },
        ],
      }),
    ])
    expect(h.eventsOf('anomaly_detected')).toStrictEqual([
      {
        type: 'anomaly_detected',
        phase: 'refresh',
        signals: [
          { type: 'ip_changed', from: '203.0.113.0/24', to: '198.51.100.0/24', action: 'log' },
          {
            type: 'custom',
            name: 'impossible_travel',
            action: 'revoke',
            detail: 'FR to NZ in 1 minute',
          },
        ],
        action: 'revoke',
        ...about(login.body.sessionId, T0 + 2 * MINUTE, '198.51.100.20', CHROME_120_WINDOWS),
      },
    ])
    expect(h.eventsOf('revoked').map((e) => e.reason)).toStrictEqual(['anomaly'])
  })

  it('answers 503 store_unavailable and ends nothing when the hook throws or answers nonsense', async () => {
    let answer: () => unknown = () => []
    const h = await createHarness({
      anomalies: { detect: () => answer() as [] },
    })
    const login = await signIn(h)

    answer = () => {
      throw new Error('geo database offline')
    }
    const thrown = await h.refresh(login.cookie, { headers: ua(CHROME_120_WINDOWS), ip: HOME })
    answer = () => [{ name: 'x', action: 'destroy' }]
    const malformed = await h.refresh(login.cookie, { headers: ua(CHROME_120_WINDOWS), ip: HOME })
    answer = () => undefined
    const missing = await h.refresh(login.cookie, { headers: ua(CHROME_120_WINDOWS), ip: HOME })

    for (const res of [thrown, malformed, missing]) {
      expect(res.headers.getSetCookie()).toStrictEqual([])
      expect(res.headers.get('retry-after')).toBe('1')
      await expectError(res, 503, 'store_unavailable')
    }
    expect(h.logger.error).toHaveBeenCalledTimes(3)
    answer = () => []
    await h.refreshOk(login.cookie, { headers: ua(CHROME_120_WINDOWS), ip: HOME })
    expect(h.events.map((e) => e.type)).toStrictEqual(['refresh'])
  })
})

describe('anomalies: false', () => {
  it('turns detection off: another browser family refreshes without an event', async () => {
    const h = await createHarness({ anomalies: false })
    const login = await signIn(h)

    await h.refreshOk(login.cookie, { headers: ua(FIREFOX_121_LINUX), ip: '198.51.100.20' })

    expect(h.events.map((e) => e.type)).toStrictEqual(['refresh'])
  })
})
