import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPeerRefreshes, isPlausibleGrant, parseTabMessage } from './tab-messages.js'

const grant = {
  accessToken: 'token',
  expiresAt: 1_300_000,
  lifetime: 300_000,
  issuedAt: 1_000_000,
  user: { id: 'u-alice', name: 'Alice' },
  sessionId: 's-1',
}

describe('parseTabMessage', () => {
  it.each([
    { type: 'hello' },
    { type: 'grant', grant },
    { type: 'grant', grant, refreshId: 'r-1' },
    { type: 'grant', grant: { ...grant, idleExpiresAt: 1_900_000 } },
    { type: 'refreshing', refreshId: 'r-1' },
    { type: 'logging_out', refreshId: 'r-1' },
    { type: 'refresh_failed', refreshId: 'r-1' },
    { type: 'refresh_failed', refreshId: 'r-1', retryAfter: 0 },
    { type: 'refresh_failed', refreshId: 'r-1', retryAfter: 60 },
    { type: 'ended', sessionId: 's-1', reason: 'logged_out' },
    { type: 'ended', sessionId: null, reason: 'refresh_token_reused' },
  ])('accepts %j as it is', (message) => {
    expect(parseTabMessage(message)).toEqual(message)
  })

  it('keeps only the known fields', () => {
    expect(parseTabMessage({ type: 'refreshing', refreshId: 'r-1', extra: true })).toEqual({
      type: 'refreshing',
      refreshId: 'r-1',
    })
    expect(parseTabMessage({ type: 'grant', grant: { ...grant, extra: 1 } })).toEqual({
      type: 'grant',
      grant,
    })
  })

  it.each([
    null,
    undefined,
    42,
    'hello',
    [],
    {},
    { type: 'nope' },
    { type: 'toString' },
    { type: 'refresh-start' },
    { type: 'grant' },
    { type: 'grant', grant: null },
    { type: 'grant', grant: 'token' },
    { type: 'grant', grant: { ...grant, accessToken: '' } },
    { type: 'grant', grant: { ...grant, user: null } },
    { type: 'grant', grant: { ...grant, user: { name: 'no id' } } },
    { type: 'grant', grant: { ...grant, expiresAt: Number.NaN } },
    { type: 'grant', grant: { ...grant, lifetime: 0 } },
    { type: 'grant', grant, refreshId: 7 },
    { type: 'grant', grant, refreshId: '' },
    { type: 'grant', grant: { ...grant, sessionId: '' } },
    { type: 'grant', grant: { ...grant, sessionId: 7 } },
    { type: 'grant', grant: { ...grant, user: { id: '' } } },
    { type: 'grant', grant: { ...grant, user: { id: 7 } } },
    { type: 'grant', grant: { ...grant, issuedAt: Infinity } },
    { type: 'grant', grant: { ...grant, lifetime: -1 } },
    { type: 'grant', grant: { ...grant, expiresAt: '1300000' } },
    { type: 'grant', grant: { ...grant, idleExpiresAt: 'soon' } },
    { type: 'grant', grant: { ...grant, idleExpiresAt: null } },
    { type: 'grant', grant: { ...grant, idleExpiresAt: Number.NaN } },
    { type: 'grant', grant: [grant] },
    { type: 'refresh_failed', refreshId: 7 },
    { type: 'refresh_failed', refreshId: { toString: (): string => 'r-1' } },
    { type: 'ended', sessionId: '', reason: 'logged_out' },
    { type: 'ended', sessionId: 's-1', reason: 'toString' },
    { type: 'ended', sessionId: 's-1', reason: null },
    { type: ['grant'] },
    { type: { toString: (): string => 'hello' } },
    { type: 'refreshing' },
    { type: 'refreshing', refreshId: '' },
    { type: 'logging_out', refreshId: null },
    { type: 'ended', sessionId: 's-1' },
    { type: 'ended', sessionId: 's-1', reason: 'because' },
    { type: 'ended', sessionId: 7, reason: 'logged_out' },
  ])('refuses %j', (message) => {
    expect(parseTabMessage(message)).toBeNull()
  })

  it("leaves out a refresh_failed's Retry-After that is no number of seconds up to an hour", () => {
    // A forged one must not stop the tabs' refreshes for longer; the failure itself still counts.
    for (const retryAfter of [-1, 61, Infinity, Number.NaN, '20', null]) {
      expect(parseTabMessage({ type: 'refresh_failed', refreshId: 'r-1', retryAfter })).toEqual({
        type: 'refresh_failed',
        refreshId: 'r-1',
      })
    }
  })

  it('refuses a grant whose user JSON cannot write (structured clone carries cycles)', () => {
    const user: Record<string, unknown> = { id: 'u-alice' }
    user.self = user
    expect(parseTabMessage({ type: 'grant', grant: { ...grant, user } })).toBeNull()
    const big = { id: 'u-alice', n: BigInt(1) }
    expect(parseTabMessage({ type: 'grant', grant: { ...grant, user: big } })).toBeNull()
  })

  it('keeps nothing but the type of a hello', () => {
    expect(parseTabMessage({ type: 'hello', grant: null, refreshId: 'r' })).toEqual({
      type: 'hello',
    })
  })

  it('never throws, even on an object that does', () => {
    const hostile = {
      get type(): string {
        throw new Error('boom')
      },
    }
    expect(parseTabMessage(hostile)).toBeNull()
  })
})

/** A JWT as the BFF makes it, unsigned: only the payload is read. */
const jwt = (claims: Record<string, unknown>) =>
  ['{"alg":"ES256"}', JSON.stringify(claims)]
    .map((part) => Buffer.from(part).toString('base64url'))
    .concat('signature')
    .join('.')

describe('isPlausibleGrant', () => {
  const NOW = 1_100_000
  const token = jwt({ sid: 's-1', sub: 'u-alice', iat: 1_000, exp: 1_300, name: 'Zoë' })
  const peerGrant = { ...grant, accessToken: token }

  it('accepts a grant consistent with its token', () => {
    expect(isPlausibleGrant(peerGrant, NOW)).toBe(true)
    // Handed on later, or after this device's clock moved: still within the token's life.
    expect(isPlausibleGrant(peerGrant, grant.expiresAt - 1)).toBe(true)
  })

  it.each([
    ['a token that is no JWT', { accessToken: 'token' }],
    ['a token whose payload is no JSON', { accessToken: 'a.b.c' }],
    ['a token of another session', { accessToken: jwt({ sid: 's-2', iat: 1_000, exp: 1_300 }) }],
    ['a token without sid', { accessToken: jwt({ iat: 1_000, exp: 1_300 }) }],
    ['a token without exp', { accessToken: jwt({ sid: 's-1', iat: 1_000 }) }],
    ['a token without iat', { accessToken: jwt({ sid: 's-1', exp: 1_300 }) }],
    ['an expiry in the past', { expiresAt: NOW }],
    ['an issue in the future (it would make every later grant look stale)', { issuedAt: NOW + 1 }],
    ['an expiry beyond its lifetime', { expiresAt: grant.issuedAt + grant.lifetime + 1 }],
    ['a lifetime beyond its token’s', { lifetime: 300_001, expiresAt: 1_300_001 }],
    ['a year-long grant', { expiresAt: NOW + 31_536_000_000, lifetime: 31_536_000_000 }],
  ])('refuses %s', (_, patch) => {
    expect(isPlausibleGrant({ ...peerGrant, ...patch }, NOW)).toBe(false)
  })
})

describe('createPeerRefreshes', () => {
  beforeEach(() => void vi.useFakeTimers())
  afterEach(() => void vi.useRealTimers())

  const create = (onExpire = vi.fn(), maxSize?: number) => ({
    onExpire,
    peers: createPeerRefreshes({
      deadlineMs: 1_000,
      onExpire,
      now: Date.now,
      ...(maxSize === undefined ? {} : { maxSize }),
    }),
  })

  it('forgets a refresh after its deadline and says so', () => {
    const { peers, onExpire } = create()
    peers.add('a')
    vi.advanceTimersByTime(500)
    peers.add('b')
    expect(peers.size).toBe(2)
    vi.advanceTimersByTime(499)
    expect(onExpire).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(onExpire).toHaveBeenCalled()
    expect(peers.size).toBe(1)
    vi.advanceTimersByTime(500)
    expect(peers.size).toBe(0)
    expect(peers.busy()).toBe(false)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('a refresh announced again gets a new deadline; a reported one none', () => {
    const { peers, onExpire } = create()
    peers.add('a')
    vi.advanceTimersByTime(900)
    peers.add('a')
    expect(peers.busy()).toBe(true)
    peers.delete('a')
    peers.delete(undefined)
    expect(peers.busy()).toBe(false)
    vi.advanceTimersByTime(10_000)
    expect(onExpire).not.toHaveBeenCalled()
    expect(peers.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('is bounded: the oldest is dropped first', () => {
    const { peers } = create(vi.fn(), 3)
    for (const id of ['a', 'b', 'c', 'd', 'e']) peers.add(id)
    expect(peers.size).toBe(3)
    peers.delete('c')
    peers.delete('d')
    peers.delete('e')
    expect(peers.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('clear() forgets every refresh and its timer', () => {
    const { peers, onExpire } = create()
    peers.add('a')
    peers.add('b')
    peers.clear()
    vi.advanceTimersByTime(2_000)
    expect(peers.size).toBe(0)
    expect(onExpire).not.toHaveBeenCalled()
  })

  it('a stream of announcements is believed for one deadline only (issue 12, L3)', () => {
    // A script posting `refreshing` with a new id every 300 ms, each "answered" before its own
    // deadline, would keep requests waiting for ever if every announcement counted.
    const { peers, onExpire } = create()
    peers.add('forged-0')
    for (let i = 1; i <= 3; i++) {
      vi.advanceTimersByTime(300)
      peers.add(`forged-${i}`)
      peers.delete(`forged-${i - 1}`)
      expect(peers.busy()).toBe(true)
    }
    vi.advanceTimersByTime(99)
    expect(peers.busy()).toBe(true)
    expect(onExpire).not.toHaveBeenCalled()
    // A real refresh reports within the deadline; this one is over it, so waiting ends here.
    vi.advanceTimersByTime(1)
    expect(onExpire).toHaveBeenCalledTimes(1)
    expect(peers.busy()).toBe(false)
    for (let i = 4; i < 20; i++) {
      vi.advanceTimersByTime(300)
      peers.add(`forged-${i}`)
      peers.delete(`forged-${i - 1}`)
      expect(peers.busy()).toBe(false)
    }
    // Once nobody announces anything, the next real refresh is believed again.
    peers.delete('forged-19')
    peers.add('real')
    expect(peers.busy()).toBe(true)
  })

  it('the same id announced again does not extend the trust', () => {
    const { peers } = create()
    peers.add('forged')
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(400)
      peers.add('forged')
    }
    expect(peers.size).toBe(1)
    expect(peers.busy()).toBe(false)
  })
})
