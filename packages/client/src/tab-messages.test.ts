import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPeerRefreshes, parseTabMessage } from './tab-messages.js'

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
    { type: 'refreshing', refreshId: 'r-1' },
    { type: 'logging_out', refreshId: 'r-1' },
    { type: 'refresh_failed', refreshId: 'r-1' },
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
    { type: 'refreshing' },
    { type: 'refreshing', refreshId: '' },
    { type: 'logging_out', refreshId: null },
    { type: 'ended', sessionId: 's-1' },
    { type: 'ended', sessionId: 's-1', reason: 'because' },
    { type: 'ended', sessionId: 7, reason: 'logged_out' },
  ])('refuses %j', (message) => {
    expect(parseTabMessage(message)).toBeNull()
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

describe('createPeerRefreshes', () => {
  beforeEach(() => void vi.useFakeTimers())
  afterEach(() => void vi.useRealTimers())

  it('forgets a refresh after its deadline and says so', () => {
    const onExpire = vi.fn()
    const peers = createPeerRefreshes({ deadlineMs: 1_000, onExpire })
    peers.add('a')
    vi.advanceTimersByTime(500)
    peers.add('b')
    expect(peers.size).toBe(2)
    vi.advanceTimersByTime(499)
    expect(onExpire).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(onExpire).toHaveBeenCalledTimes(1)
    expect(peers.size).toBe(1)
    vi.advanceTimersByTime(500)
    expect(onExpire).toHaveBeenCalledTimes(2)
    expect(peers.size).toBe(0)
  })

  it('a refresh announced again gets a new deadline; a reported one none', () => {
    const onExpire = vi.fn()
    const peers = createPeerRefreshes({ deadlineMs: 1_000, onExpire })
    peers.add('a')
    vi.advanceTimersByTime(900)
    peers.add('a')
    vi.advanceTimersByTime(900)
    expect(onExpire).not.toHaveBeenCalled()
    peers.delete('a')
    peers.delete(undefined)
    vi.advanceTimersByTime(10_000)
    expect(onExpire).not.toHaveBeenCalled()
    expect(peers.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('is bounded: the oldest is dropped first', () => {
    const peers = createPeerRefreshes({ deadlineMs: 1_000, onExpire: () => {}, maxSize: 3 })
    for (const id of ['a', 'b', 'c', 'd', 'e']) peers.add(id)
    expect(peers.size).toBe(3)
    expect(vi.getTimerCount()).toBe(3)
    peers.delete('c')
    peers.delete('d')
    peers.delete('e')
    expect(peers.size).toBe(0)
  })

  it('clear() forgets every refresh and its timer', () => {
    const onExpire = vi.fn()
    const peers = createPeerRefreshes({ deadlineMs: 1_000, onExpire })
    peers.add('a')
    peers.add('b')
    peers.clear()
    vi.advanceTimersByTime(2_000)
    expect(peers.size).toBe(0)
    expect(onExpire).not.toHaveBeenCalled()
  })
})
