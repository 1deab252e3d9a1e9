/**
 * Issue 13, item 2: anomaly detection at sign-in, black-box through the routes: many sessions or
 * many networks for one user in a short time, each with its configured action, the application's
 * hook, and the `anomalies` option checked at start-up.
 */
import { describe, expect, it } from 'vitest'
import { createBff, createSigningKeys, generateSigningKey, type BffOptions } from '../src/index.js'
import {
  ALICE,
  authenticate,
  createHarness,
  expectError,
  HOUR,
  MINUTE,
  passwordOf,
  SECOND,
  SESSION_ID,
  T0,
  type Harness,
} from './helpers.js'

const keys = createSigningKeys({ keys: [await generateSigningKey('ES256')] })

/** A sign-in without a refresh cookie (another browser), from `ip`; the raw answer. */
const signInFrom = (h: Harness, ip: string) =>
  h.post('/login', {
    ip,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: passwordOf('alice') }),
  })

describe('many_sessions (default: log)', () => {
  it('reports the sign-in past max within the window, before the login event, and lets it in', async () => {
    const h = await createHarness({ anomalies: { manySessions: { max: 2, within: '1h' } } })
    await h.login('alice', { ip: '203.0.113.1' })
    h.clock.advance(MINUTE)
    await h.login('alice', { ip: '203.0.113.2' })
    h.clock.advance(MINUTE)
    h.events.length = 0

    const third = await h.login('alice', { ip: '203.0.113.3' })

    expect(h.events).toStrictEqual([
      {
        type: 'anomaly_detected',
        phase: 'login',
        signals: [{ type: 'many_sessions', count: 3, withinMs: HOUR, action: 'log' }],
        action: 'log',
        sessionId: third.body.sessionId,
        userId: ALICE.id,
        at: T0 + 2 * MINUTE,
        ip: '203.0.113.3',
        userAgent: null,
      },
      {
        type: 'login',
        sessionId: third.body.sessionId,
        userId: ALICE.id,
        at: T0 + 2 * MINUTE,
        ip: '203.0.113.3',
        userAgent: null,
      },
    ])
  })

  it('does not count sessions created before the window, nor the one a sign-in in the same browser replaces', async () => {
    const h = await createHarness({ anomalies: { manySessions: { max: 2, within: '1h' } } })
    await h.login('alice', { ip: '203.0.113.1' })
    h.clock.advance(HOUR)
    const second = await h.login('alice', { ip: '203.0.113.2' })
    // The same browser signs in again: its previous session ends ('replaced') first.
    await h.login('alice', {
      ip: '203.0.113.2',
      headers: { cookie: `__Host-baton_rt=${second.cookie}` },
    })

    expect(h.eventsOf('anomaly_detected')).toStrictEqual([])
  })

  it('does not count sessions bff.admin.revokeAll() ended: the user signs in again at once', async () => {
    const h = await createHarness({
      anomalies: { actions: { many_sessions: 'revoke' }, manySessions: { max: 2, within: '1h' } },
    })
    await h.login('alice')
    await h.login('alice')
    await h.bff.admin.revokeAll()
    h.clock.advance(2 * SECOND)
    expect(await h.bff.admin.listUserSessions(ALICE.id)).toStrictEqual([])
    const res = await signInFrom(h, '192.0.2.1')
    // Before: the two ended sessions counted, and the sign-in was refused as an anomaly.
    expect(h.eventsOf('anomaly_detected')).toStrictEqual([])
    expect(res.status).toBe(200)
  })

  it('lets ten sessions in an hour pass with the defaults and reports the eleventh', async () => {
    const h = await createHarness()
    for (let i = 0; i < 10; i++) {
      await h.login('alice', { ip: '203.0.113.1' })
      h.clock.advance(5 * MINUTE)
    }
    expect(h.eventsOf('anomaly_detected')).toStrictEqual([])

    await h.login('alice', { ip: '203.0.113.1' })

    expect(h.eventsOf('anomaly_detected').map((e) => e.signals)).toStrictEqual([
      [{ type: 'many_sessions', count: 11, withinMs: HOUR, action: 'log' }],
    ])
  })
})

describe('many_ips', () => {
  const options = {
    anomalies: { manyIps: { max: 2, within: '1h' }, actions: { many_ips: 'revoke' } },
  } as const

  it('counts networks, not addresses: a new address in a known /24 is no new network', async () => {
    const h = await createHarness(options)
    await h.login('alice', { ip: '203.0.113.1' })
    await h.login('alice', { ip: '198.51.100.1' })
    await h.login('alice', { ip: '198.51.100.2' })
    await h.login('alice', { ip: '::ffff:203.0.113.9' })

    expect(h.eventsOf('anomaly_detected')).toStrictEqual([])
  })

  it('with revoke: refuses the sign-in and ends every live session of the user', async () => {
    const h = await createHarness(options)
    const home = await h.login('alice', { ip: '203.0.113.1' })
    h.clock.advance(MINUTE)
    const office = await h.login('alice', { ip: '198.51.100.1' })
    const bob = await h.login('bob', { ip: '192.0.2.1' })
    h.clock.advance(MINUTE)
    h.events.length = 0

    const res = await signInFrom(h, '192.0.2.7')

    expect(res.headers.getSetCookie()).toStrictEqual([])
    await expectError(res, 401, 'session_revoked')
    const request = { at: T0 + 2 * MINUTE, ip: '192.0.2.7', userAgent: null }
    expect(h.events).toStrictEqual([
      {
        type: 'anomaly_detected',
        phase: 'login',
        signals: [{ type: 'many_ips', count: 3, withinMs: HOUR, action: 'revoke' }],
        action: 'revoke',
        sessionId: expect.stringMatching(SESSION_ID) as string,
        userId: ALICE.id,
        ...request,
      },
      ...[home, office].map(({ body }) => ({
        type: 'revoked',
        reason: 'anomaly',
        sessionId: body.sessionId,
        userId: ALICE.id,
        ...request,
      })),
    ])
    // The refused session was never stored; Alice's others are over; Bob is untouched.
    expect(await h.store.listByUser(ALICE.id, h.clock.now())).toStrictEqual([])
    await expectError(await h.refresh(home.cookie), 401, 'session_revoked')
    await expectError(await h.refresh(office.cookie), 401, 'session_revoked')
    await h.refreshOk(bob.cookie, { ip: '192.0.2.1' })
    // Once they are over, the user can sign in again.
    expect((await signInFrom(h, '192.0.2.7')).status).toBe(200)
  })

  it('forgets sessions not used within the window', async () => {
    const h = await createHarness(options)
    await h.login('alice', { ip: '203.0.113.1' })
    await h.login('alice', { ip: '198.51.100.1' })
    h.clock.advance(HOUR)

    expect((await signInFrom(h, '192.0.2.7')).status).toBe(200)
    expect(h.eventsOf('anomaly_detected')).toStrictEqual([])
  })
})

describe('the application’s detect hook at sign-in', () => {
  it('has its step_up taken as log: the user has just proved who they are', async () => {
    const h = await createHarness({
      anomalies: {
        detect: ({ phase }) =>
          phase === 'login' ? [{ name: 'new_country', action: 'step_up' }] : [],
      },
    })

    const { body } = await h.login('alice', { ip: '203.0.113.1' })

    expect(h.eventsOf('anomaly_detected')).toStrictEqual([
      {
        type: 'anomaly_detected',
        phase: 'login',
        signals: [{ type: 'custom', name: 'new_country', action: 'step_up' }],
        action: 'log',
        sessionId: body.sessionId,
        userId: ALICE.id,
        at: T0,
        ip: '203.0.113.1',
        userAgent: null,
      },
    ])
  })

  it('answers 503 store_unavailable and starts no session when it throws', async () => {
    const h = await createHarness({
      anomalies: {
        detect: () => {
          throw new Error('geo database offline')
        },
      },
    })

    const res = await signInFrom(h, '203.0.113.1')

    expect(res.headers.getSetCookie()).toStrictEqual([])
    await expectError(res, 503, 'store_unavailable')
    expect(await h.store.listByUser(ALICE.id, h.clock.now())).toStrictEqual([])
    expect(h.events).toStrictEqual([])
  })
})

describe('createBff() checks the anomalies option', () => {
  it.each<[string, unknown, string]>([
    ['a string', 'on', 'createBff: anomalies must be an object or false'],
    [
      'actions that are no object',
      { actions: 'revoke' },
      'createBff: anomalies.actions must be an object',
    ],
    [
      'an unknown action',
      { actions: { user_agent_changed: 'block' } },
      'createBff: anomalies.actions.user_agent_changed must be one of ignore, log, step_up, revoke, got block',
    ],
    [
      'an unknown signal',
      { actions: { geo_changed: 'log' } },
      'createBff: anomalies.actions: unknown signal "geo_changed" (known: user_agent_changed, ip_changed, refresh_too_fast, many_sessions, many_ips)',
    ],
    [
      'step_up for a sign-in signal',
      { actions: { many_ips: 'step_up' } },
      'createBff: anomalies.actions.many_ips cannot be step_up: the user has just signed in',
    ],
    [
      'a max of 0',
      { refreshTooFast: { max: 0 } },
      'createBff: anomalies.refreshTooFast.max must be a positive integer, got 0',
    ],
    [
      'a fractional max',
      { manySessions: { max: 2.5 } },
      'createBff: anomalies.manySessions.max must be a positive integer, got 2.5',
    ],
    [
      'an unparseable window',
      { manyIps: { within: 'soon' } },
      'createBff: anomalies.manyIps.within must be a duration such as "10s", "5m" or "24h", got "soon"',
    ],
    [
      'a window of 0',
      { manyIps: { within: 0 } },
      'createBff: anomalies.manyIps.within must be positive',
    ],
    [
      'a limit that is no object',
      { refreshTooFast: 5 },
      'createBff: anomalies.refreshTooFast must be an object { max?, within? }',
    ],
    [
      'a cadence limit that normal refreshes would trip',
      { refreshTooFast: { max: 2, within: '1h' } },
      'createBff: anomalies.refreshTooFast.max must be at least 13: a client refreshing once per accessTokenTtl makes that many within 3600000 ms',
    ],
    [
      'a detect that is no function',
      { detect: 'yes' },
      'createBff: anomalies.detect must be a function',
    ],
  ])('throws a TypeError naming the option for %s', (_, anomalies, message) => {
    const options = { authenticate, keys, anomalies } as unknown as BffOptions

    expect(() => createBff(options)).toThrow(new TypeError(message))
  })

  it('accepts false, an empty object and a full configuration', () => {
    for (const anomalies of [
      false,
      {},
      {
        actions: { user_agent_changed: 'step_up', ip_changed: 'ignore', many_sessions: 'revoke' },
        refreshTooFast: { max: 20, within: '1h' },
        manySessions: { max: 3, within: '10m' },
        manyIps: { within: '1d' },
        detect: () => [],
      },
    ] satisfies BffOptions['anomalies'][]) {
      expect(() => createBff({ authenticate, keys, anomalies })).not.toThrow()
    }
  })
})
