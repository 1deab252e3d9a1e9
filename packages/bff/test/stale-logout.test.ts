/**
 * L5 of issue 12: a rotated-out refresh token could still sign the user out everywhere, and raised
 * no alarm. A token that is neither current nor a grace-window duplicate is reuse on every route
 * that accepts the cookie: on logout its family ends, `reuse_detected` is emitted, and
 * `everywhere` is not honoured.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import {
  ALICE,
  CLEARED_COOKIE,
  CLEARED_HINT,
  createHarness,
  expectError,
  SECOND,
  T0,
  type Harness,
} from './helpers.js'

describe('L5: POST /auth/logout with a rotated-out refresh token', () => {
  let h: Harness
  let stolen: Awaited<ReturnType<Harness['login']>>
  let current: string
  let otherDevice: Awaited<ReturnType<Harness['login']>>
  beforeEach(async () => {
    h = await createHarness()
    stolen = await h.login('alice')
    current = (await h.refreshOk(stolen.cookie)).cookie
    otherDevice = await h.login('alice')
    h.clock.advance(10 * SECOND + 1)
    h.events.length = 0
  })

  it.each([true, false])(
    'answers 401 refresh_token_reused with the cookies cleared (everywhere: %s)',
    async (everywhere) => {
      const res = await h.logout(stolen.cookie, { everywhere })

      expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
      await expectError(res, 401, 'refresh_token_reused')
    },
  )

  it('does not honour everywhere: the user’s other sessions go on', async () => {
    await h.logout(stolen.cookie, { everywhere: true })

    await h.refreshOk(otherDevice.cookie)
  })

  it('ends the stolen token’s family and raises reuse_detected', async () => {
    await h.logout(stolen.cookie, { everywhere: true })

    const about = {
      sessionId: stolen.body.sessionId,
      userId: ALICE.id,
      at: T0 + 10 * SECOND + 1,
      ip: null,
      userAgent: null,
    }
    expect(h.events).toStrictEqual([
      { type: 'reuse_detected', generation: 1, ...about },
      { type: 'revoked', reason: 'reuse_detected', ...about },
    ])
    await expectError(await h.refresh(current), 401, 'refresh_token_reused')
  })
})

describe('L5: POST /auth/logout with the previous token inside the grace window', () => {
  it('is an ordinary logout, everywhere included: a lost response is no theft', async () => {
    const h = await createHarness()
    const login = await h.login('alice')
    await h.refreshOk(login.cookie)
    const other = await h.login('alice')
    h.clock.advance(5 * SECOND)

    const res = await h.logout(login.cookie, { everywhere: true })

    expect(res.status).toBe(204)
    expect(h.eventsOf('reuse_detected')).toStrictEqual([])
    await expectError(await h.refresh(other.cookie), 401, 'session_revoked')
  })
})
