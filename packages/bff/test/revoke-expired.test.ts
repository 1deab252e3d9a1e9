/**
 * Every store keeps a session five minutes past its deadline, so that a late refresh is answered
 * `401 session_expired`. A revocation by id of such a session (`bff.admin.revokeSession`, a
 * back-channel logout) ends nothing: it answers `false`, reports nothing, and the refresh still
 * hears `session_expired` with its `expired` event.
 */
import { describe, expect, it } from 'vitest'
import { createHarness } from './helpers.js'
import { everyStore, sweepOf } from './every-store.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const stores = everyStore()

describe.each(stores)('review4 expired retention: %s', (_name, available, make) => {
  it.skipIf(!available)(
    'admin.revokeSession of a session already past its idle deadline ends nothing; its refresh still hears session_expired',
    async () => {
      const store = await make()
      const sweep = sweepOf(store)
      const h = await createHarness({ store, now: () => Date.now(), idleTimeout: 1_000 })
      const login = await h.login('alice')
      await sleep(2_000)
      await sweep?.()
      const ended = await h.bff.admin.revokeSession(login.body.sessionId)
      const res = await h.refresh(login.cookie)
      expect({
        ended,
        revokedEvents: h.eventsOf('revoked').length,
        status: res.status,
        code: ((await res.json()) as { error: { code: string } }).error.code,
        expired: h.eventsOf('expired').map((event) => event.reason),
      }).toStrictEqual({
        ended: false,
        revokedEvents: 0,
        status: 401,
        code: 'session_expired',
        expired: ['idle'],
      })
    },
    10_000,
  )
})
