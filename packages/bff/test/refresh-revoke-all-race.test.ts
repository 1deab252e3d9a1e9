/**
 * `bff.admin.revokeAll()` while a refresh is reading the session. The epoch is read beside the
 * session, so one raised after that read is not seen, and the rotation (a compare-and-set on the
 * token, which the epoch does not touch) goes through. That is safe only if what the refresh issues
 * counts as issued before the epoch: `requireAuth` must refuse the access token, and the next
 * refresh the cookie. A read that takes a round trip can end after the epoch's second began.
 */
import { describe, expect, it } from 'vitest'
import type { SessionStore } from '../src/index.js'
import { memoryStore } from '../src/stores/memory.js'
import {
  cookieValue,
  createHarness,
  expectError,
  requireAuthStatus,
  SECOND,
  testClock,
} from './helpers.js'

/** A memory store whose next `get` runs `work` before it answers: a read in flight. */
function storeWithSlowRead(now: () => number) {
  const inner = memoryStore({ now, sweepInterval: 0 })
  let during: (() => Promise<void>) | undefined
  const store: SessionStore = {
    ...inner,
    async get(sessionId) {
      const session = await inner.get(sessionId)
      const work = during
      during = undefined
      await work?.()
      return session
    },
  }
  const whileNextReadIsInFlight = (work: () => Promise<void>) => {
    during = work
  }
  return { store, whileNextReadIsInFlight }
}

describe('POST /auth/refresh while revokeAll() lands', () => {
  it('issues nothing that outlives the epoch: requireAuth refuses the token, refresh the cookie', async () => {
    const clock = testClock()
    const { store, whileNextReadIsInFlight } = storeWithSlowRead(clock.now)
    const h = await createHarness({ store, now: clock.now })
    const login = await h.login('alice')
    whileNextReadIsInFlight(async () => {
      await h.bff.admin.revokeAll()
      // The read answers once the epoch's second has begun.
      clock.advance(SECOND)
    })

    const res = await h.refresh(login.cookie)

    if (res.status !== 200) {
      await expectError(res, 401, 'session_revoked')
      return
    }
    const { accessToken } = (await res.json()) as { accessToken: string }
    expect(
      await requireAuthStatus(h.bff, accessToken),
      'the access token of a session revokeAll() ended',
    ).toBe(401)
    await expectError(await h.refresh(cookieValue(res)), 401, 'session_revoked')
  })
})
