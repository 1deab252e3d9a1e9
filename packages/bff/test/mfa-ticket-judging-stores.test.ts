/**
 * A release of the judging count (`failPending(j:, -1)`) that the store applied but reported as
 * failed (Redis `WAIT` short of replicas after the HINCRBY ran, a connection reset after the
 * command executed, a PostgreSQL commit whose answer was lost) is owed and paid again by the
 * retry timer, which takes the count below zero. The ticket must still take its answers, one at a
 * time.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { storeUnavailable } from '../src/errors.js'
import type { SessionStore } from '../src/stores/types.js'
import { everyStore } from './every-store.js'
import { MINUTE } from './helpers.js'
import { mfaClient, mfaHarness, totpCode } from './mfa-helpers.js'

const stores = everyStore()

afterEach(() => {
  vi.useRealTimers()
})

describe.each(stores)('a release applied but reported failed (%s)', (_name, available, make) => {
  it.skipIf(!available)(
    'the answer sent again after the retry timer ran is judged (200), not refused as spent',
    async () => {
      const store: SessionStore = await make()
      const h = await mfaHarness({}, { store })
      const m = mfaClient(h)
      const { body } = await h.login('alice')
      const { secret } = await m.enrolTotp(body.accessToken)
      h.clock.advance(MINUTE)
      const ticket = await m.challenged()
      const factors = store.factorStore!()
      const accept = factors.acceptTotpStep.bind(factors)
      const fail = factors.failPending.bind(factors)
      // The blip: judging fails (503), and the release is applied, then reported failed.
      factors.acceptTotpStep = () => Promise.reject(storeUnavailable(new Error('ECONNRESET')))
      factors.failPending = async (key, now, by) => {
        const result = await fail(key, now, by)
        if (key.startsWith('j:') && by === -1) {
          throw storeUnavailable(new Error('WAIT: 0 of 1 replicas acknowledged'))
        }
        return result
      }
      vi.useFakeTimers({ toFake: ['setTimeout'] })
      const code = totpCode(secret, h.clock.now())
      const answer = { ticket: ticket.ticket, method: 'totp' as const, code }
      expect((await m.loginMfa(answer, ticket.binder)).status).toBe(503)
      // The store is back; the instance's retry timer pays what it thinks it owes.
      factors.acceptTotpStep = accept
      factors.failPending = fail
      await vi.advanceTimersByTimeAsync(5_000)
      vi.useRealTimers()
      // Nobody is judging this ticket now: of two answers sent together, exactly one is judged
      // (the other is refused unjudged), and it signs the user in.
      const both = await Promise.all([
        m.loginMfa(answer, ticket.binder),
        m.loginMfa(answer, ticket.binder),
      ])
      expect(both.map((res) => res.status).sort()).toEqual([200, 401])
    },
  )
})
