/**
 * One answer per `/login/mfa` ticket is judged at a time, through a second pending record (`j:`)
 * counted up before judging and down after. Whatever leaves that count up, or the record absent,
 * must not make a valid ticket refuse its answers as spent.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { storeUnavailable } from '../src/errors.js'
import { digest } from '../src/mfa/secrets.js'
import { memoryStore } from '../src/index.js'
import { MINUTE, testClock } from './helpers.js'
import { mfaClient, mfaHarness, totpCode } from './mfa-helpers.js'

async function ticketed() {
  const h = await mfaHarness()
  const m = mfaClient(h)
  const { body } = await h.login('alice')
  const { secret } = await m.enrolTotp(body.accessToken)
  h.clock.advance(MINUTE)
  const ticket = await m.challenged()
  const factors = h.store.factorStore!()
  return { h, m, secret, ticket, factors }
}

describe('/login/mfa after a store failure while an answer was judged', () => {
  // The store blips (a Redis fail-over, a PostgreSQL restart): the answer is 503
  // store_unavailable with Retry-After: 1, i.e. "send it again", while the release of the judging
  // count failed in the same blip. The resend must be judged, not refused as a spent ticket.
  it('the answer sent again once the store is back is judged (503 means retry)', async () => {
    const { h, m, secret, ticket, factors } = await ticketed()
    const accept = factors.acceptTotpStep.bind(factors)
    const fail = factors.failPending.bind(factors)
    factors.acceptTotpStep = () => Promise.reject(storeUnavailable(new Error('ECONNRESET')))
    factors.failPending = (key, now, by) =>
      key.startsWith('j:') && by === -1
        ? Promise.reject(storeUnavailable(new Error('ECONNRESET')))
        : fail(key, now, by)
    const code = totpCode(secret, h.clock.now())
    const first = await m.loginMfa({ ticket: ticket.ticket, method: 'totp', code }, ticket.binder)
    expect(first.status).toBe(503)
    expect(first.headers.get('retry-after')).toBe('1')
    // The store is back.
    factors.acceptTotpStep = accept
    factors.failPending = fail
    h.clock.advance(1_000)
    const again = await m.loginMfa({ ticket: ticket.ticket, method: 'totp', code }, ticket.binder)
    expect(again.status).toBe(200)
  })
})

describe('/login/mfa after a store failure, at another instance', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  // The resend may reach an instance that owes nothing: the one whose release failed retries it.
  it('the answer sent again is judged once the count was released behind the scenes', async () => {
    const clock = testClock()
    const store = memoryStore({ now: clock.now, sweepInterval: 0 })
    const one = await mfaHarness({}, { store, now: clock.now })
    const other = mfaClient(await mfaHarness({}, { store, now: clock.now }))
    const m = mfaClient(one)
    const { body } = await one.login('alice')
    const { secret } = await m.enrolTotp(body.accessToken)
    clock.advance(MINUTE)
    const ticket = await m.challenged()
    const factors = store.factorStore!()
    const accept = factors.acceptTotpStep.bind(factors)
    const fail = factors.failPending.bind(factors)
    factors.acceptTotpStep = () => Promise.reject(storeUnavailable(new Error('ECONNRESET')))
    factors.failPending = (key, now, by) =>
      key.startsWith('j:') && by === -1
        ? Promise.reject(storeUnavailable(new Error('ECONNRESET')))
        : fail(key, now, by)
    vi.useFakeTimers({ toFake: ['setTimeout'] })
    const code = totpCode(secret, clock.now())
    const answer = { ticket: ticket.ticket, method: 'totp' as const, code }
    expect((await m.loginMfa(answer, ticket.binder)).status).toBe(503)
    factors.acceptTotpStep = accept
    factors.failPending = fail
    expect((await other.loginMfa(answer, ticket.binder)).status).toBe(401)
    await vi.advanceTimersByTimeAsync(500)
    expect((await other.loginMfa(answer, ticket.binder)).status).toBe(200)
  })
})

describe('/login/mfa on a ticket without its judging record', () => {
  // A ticket issued by an instance still on the previous release (rolling deploy: it writes no
  // `j:` record), or whose `j:` key alone was evicted (Redis `volatile-*` policies evict keys that
  // have a TTL, and both have one), is valid, bound and unanswered.
  it('a valid ticket whose judging record is missing still takes the right code', async () => {
    const { h, m, secret, ticket, factors } = await ticketed()
    expect(await factors.takePending(`j:${digest(ticket.ticket)}`, h.clock.now())).toBe('')
    const code = totpCode(secret, h.clock.now())
    const res = await m.loginMfa({ ticket: ticket.ticket, method: 'totp', code }, ticket.binder)
    expect(res.status).toBe(200)
  })
})
