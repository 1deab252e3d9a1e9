import { afterEach, describe, expect, it, vi } from 'vitest'
import { createBff } from '../src/index.js'
import {
  ACTIVITY,
  ALICE,
  authenticate,
  CLEARED_COOKIE,
  CLEARED_HINT,
  client,
  createHarness,
  DAY,
  expectError,
  HOUR,
  MINUTE,
  refreshSetCookie,
  testClock,
  T0,
  testLogger,
  hintCookie,
} from './helpers.js'

describe('idle timeout', () => {
  it('keeps a session alive while it is refreshed for activity more often than the idle timeout', async () => {
    const h = await createHarness({ idleTimeout: '1h' })
    let { cookie } = await h.login('alice')

    for (let i = 0; i < 5; i++) {
      h.clock.advance(HOUR - 1)
      cookie = (await h.refreshOk(cookie, { headers: ACTIVITY })).cookie
    }

    expect(h.eventsOf('refresh')).toHaveLength(5)
    expect(h.eventsOf('expired')).toStrictEqual([])
  })

  it('ends the session at exactly idleTimeout after the last use: 401 session_expired, cookie cleared', async () => {
    const h = await createHarness({ idleTimeout: '1h' })
    const login = await h.login('alice')
    h.clock.advance(HOUR)

    const res = await h.refresh(login.cookie)

    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    await expectError(res, 401, 'session_expired')
  })

  it('emits one expired event with reason idle, and stays expired', async () => {
    const h = await createHarness({ idleTimeout: '1h' })
    const login = await h.login('alice')
    h.clock.advance(HOUR)

    await h.refresh(login.cookie)
    const again = await h.refresh(login.cookie)

    await expectError(again, 401, 'session_expired')
    expect(h.events.slice(1)).toStrictEqual([
      {
        type: 'expired',
        reason: 'idle',
        sessionId: login.body.sessionId,
        userId: ALICE.id,
        at: T0 + HOUR,
        ip: null,
        userAgent: null,
      },
    ])
  })

  it('drops an idle session from GET /auth/sessions', async () => {
    const h = await createHarness({ idleTimeout: '10m', accessTokenTtl: '15m' })
    const idle = await h.login('alice')
    h.clock.advance(5 * MINUTE)
    const active = await h.login('alice')
    h.clock.advance(5 * MINUTE)

    const res = await h.listSessions(active.body.accessToken)

    const { sessions } = (await res.json()) as { sessions: { id: string }[] }
    expect(sessions.map((s) => s.id)).toStrictEqual([active.body.sessionId])
    await expectError(await h.listSessions(idle.body.accessToken), 401, 'invalid_token')
  })
})

describe('absolute timeout', () => {
  it('ends a session that was kept active at exactly absoluteTimeout after login', async () => {
    const h = await createHarness({ idleTimeout: '1h', absoluteTimeout: '3h' })
    const login = await h.login('alice')
    let cookie = login.cookie
    for (let i = 0; i < 3; i++) {
      h.clock.advance(59 * MINUTE)
      cookie = (await h.refreshOk(cookie, { headers: ACTIVITY })).cookie
    }
    h.clock.advance(3 * MINUTE)

    const res = await h.refresh(cookie)

    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    await expectError(res, 401, 'session_expired')
    expect(h.eventsOf('expired')).toStrictEqual([
      expect.objectContaining({ reason: 'absolute', sessionId: login.body.sessionId }),
    ])
  })

  it('never lets the cookie outlive the absolute deadline', async () => {
    const h = await createHarness({ idleTimeout: '1h', absoluteTimeout: '3h' })
    const login = await h.login('alice')
    h.clock.advance(59 * MINUTE)

    const { res, cookie } = await h.refreshOk(login.cookie)

    expect(login.res.headers.getSetCookie()[0]).toContain('; Max-Age=10800;')
    expect(res.headers.getSetCookie()).toStrictEqual([
      refreshSetCookie(cookie, 7260),
      hintCookie(cookie, 7260),
    ])
  })

  it('caps the cookie at the 400 days browsers allow when the session is longer', async () => {
    const h = await createHarness({ absoluteTimeout: '500d', idleTimeout: '30d' })

    const { res, cookie } = await h.login('alice')

    expect(res.headers.getSetCookie()).toStrictEqual([
      refreshSetCookie(cookie, 34560000),
      hintCookie(cookie, 34560000),
    ])
  })
})

describe('access token expiry', () => {
  it('accepts an access token up to the 5 s clock tolerance after exp, then answers 401 invalid_token', async () => {
    const h = await createHarness()
    const { body } = await h.login('alice')

    h.clock.advance(304_999)
    const justValid = await h.listSessions(body.accessToken)
    h.clock.advance(1)
    const expired = await h.listSessions(body.accessToken)

    expect(justValid.status).toBe(200)
    await expectError(expired, 401, 'invalid_token')
  })
})

describe('the default memory store with an injected clock', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('sweeps by the injected clock, not the real one', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    // The injected clock is in 2024: by the real clock every session would be long past its deadline.
    const clock = testClock()
    const bff = createBff({ authenticate, now: clock.now, logger: testLogger(), idleTimeout: '1d' })
    const c = client(bff)
    const { cookie } = await c.login('alice')
    clock.advance(DAY / 2)

    vi.advanceTimersByTime(60_000)

    await c.refreshOk(cookie)
  })
})
