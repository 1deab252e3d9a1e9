/**
 * M5 of issue 12: every refresh pushed the idle deadline back, so an open tab refreshing in the
 * background kept an abandoned session alive forever (a 5 s idle timeout survived 15 s of
 * background refreshes). Now only login and refreshes sent with `ACTIVITY_HEADER: 1` move it, and
 * every grant says how far off it is.
 */
import { ACTIVITY_HEADER } from '@baton/protocol'
import { describe, expect, it } from 'vitest'
import {
  ACTIVITY,
  ALICE,
  CLEARED_COOKIE,
  CLEARED_HINT,
  createHarness,
  expectError,
  HOUR,
  MINUTE,
  SECOND,
  T0,
} from './helpers.js'

describe('M5: a session refreshed only in the background', () => {
  it('ends at its idle deadline with 401 session_expired, however often it was refreshed', async () => {
    const h = await createHarness({ idleTimeout: '1h' })
    const login = await h.login('alice')
    let cookie = login.cookie
    for (let i = 0; i < 5; i++) {
      h.clock.advance(10 * MINUTE)
      cookie = (await h.refreshOk(cookie)).cookie
    }
    h.clock.advance(10 * MINUTE)

    const res = await h.refresh(cookie)

    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    await expectError(res, 401, 'session_expired')
    expect(h.eventsOf('expired')).toStrictEqual([
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

  it('is told the idle deadline does not move: idleExpiresIn counts down', async () => {
    const h = await createHarness({ idleTimeout: '1h' })
    const login = await h.login('alice')
    h.clock.advance(10 * MINUTE)
    const first = await h.refreshOk(login.cookie)
    h.clock.advance(30 * MINUTE)
    const second = await h.refreshOk(first.cookie)

    expect([
      login.body.idleExpiresIn,
      first.body.idleExpiresIn,
      second.body.idleExpiresIn,
    ]).toStrictEqual([3600, 3000, 1200])
  })

  it('does not count a header value other than 1 as activity', async () => {
    const h = await createHarness({ idleTimeout: '1h' })
    const login = await h.login('alice')
    h.clock.advance(30 * MINUTE)

    const { body } = await h.refreshOk(login.cookie, { headers: { [ACTIVITY_HEADER]: 'true' } })

    expect(body.idleExpiresIn).toBe(1800)
  })
})

describe('M5: a refresh the user’s activity asked for', () => {
  it('moves the idle deadline to idleTimeout from now', async () => {
    const h = await createHarness({ idleTimeout: '1h' })
    const login = await h.login('alice')
    h.clock.advance(50 * MINUTE)

    const active = await h.refreshOk(login.cookie, { headers: ACTIVITY })
    h.clock.advance(50 * MINUTE)
    const later = await h.refreshOk(active.cookie)

    expect(active.body.idleExpiresIn).toBe(3600)
    expect(later.body.idleExpiresIn).toBe(600)
  })

  it('keeps a session that sees activity now and then alive past idleTimeout', async () => {
    const h = await createHarness({ idleTimeout: '1h' })
    let { cookie } = await h.login('alice')
    for (let i = 1; i <= 12; i++) {
      h.clock.advance(10 * MINUTE)
      // Background refreshes, and once an hour a request made while the user was there.
      cookie = (await h.refreshOk(cookie, i % 5 === 0 ? { headers: ACTIVITY } : {})).cookie
    }

    expect(h.eventsOf('expired')).toStrictEqual([])
  })

  it('hands a grace-window duplicate the deadline its rotation stored', async () => {
    const h = await createHarness({ idleTimeout: '1h' })
    const login = await h.login('alice')
    h.clock.advance(20 * MINUTE)
    await h.refreshOk(login.cookie, { headers: ACTIVITY })
    h.clock.advance(5 * SECOND)

    const duplicate = await h.refreshOk(login.cookie)

    expect(duplicate.body.idleExpiresIn).toBe(3595)
  })
})
