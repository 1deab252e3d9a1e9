/**
 * A refresh just past the idle deadline, on every built-in store: the README promises `401
 * session_expired` (with the `expired` event) a second after the deadline, so each store keeps an
 * expired session's record for a while (five minutes) past it, through its sweep too.
 */
import { describe, expect, it } from 'vitest'
import { createHarness } from './helpers.js'
import { everyStore, sweepOf } from './every-store.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const stores = everyStore()

describe.each(stores)('idle deadline: %s', (_name, available, make) => {
  // README: "Near the idle deadline an idle tab stops refreshing; a second after it, one refresh
  // gets `401 session_expired` and every tab signs out with that reason." A record gone at the
  // deadline (a Redis TTL equal to it, a sweep run in between) would answer `401 no_session`
  // instead, with no `expired` event and no revocation announced.
  // Every store with a sweep runs it between the deadline and the refresh (Redis expires keys).
  it.skipIf(!available)(
    'answers 401 session_expired, with an expired event, to a refresh a second after the idle deadline',
    async () => {
      const store = await make()
      const sweep = sweepOf(store)
      const h = await createHarness({ store, now: () => Date.now(), idleTimeout: 1_000 })
      const { cookie } = await h.login('alice')
      await sleep(1_000 + 1_000)
      await sweep?.()
      const res = await h.refresh(cookie)
      expect({
        status: res.status,
        code: ((await res.json()) as { error: { code: string } }).error.code,
      }).toStrictEqual({ status: 401, code: 'session_expired' })
      expect(h.eventsOf('expired').map((event) => event.reason)).toStrictEqual(['idle'])
    },
    10_000,
  )
})
