import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MAX_TIMEOUT_MS, setTimeoutAt } from './timers'

beforeEach(() => {
  vi.useFakeTimers({ now: 0 })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('setTimeoutAt', () => {
  it('Should fire at a time beyond setTimeout’s 2^31 - 1 ms, not at once', () => {
    const fired = vi.fn()
    const at = 25 * 24 * 3600 * 1000 // 25 days: more than MAX_TIMEOUT_MS
    setTimeoutAt(fired, at)
    vi.advanceTimersByTime(MAX_TIMEOUT_MS)
    expect(fired).not.toHaveBeenCalled()
    vi.advanceTimersByTime(at - MAX_TIMEOUT_MS - 1)
    expect(fired).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(fired).toHaveBeenCalledOnce()
  })

  it('Should fire at once for a time already past, and never once cancelled', () => {
    const past = vi.fn()
    setTimeoutAt(past, -5)
    vi.advanceTimersByTime(0)
    expect(past).toHaveBeenCalledOnce()

    const cancelled = vi.fn()
    const cancel = setTimeoutAt(cancelled, 3 * MAX_TIMEOUT_MS)
    vi.advanceTimersByTime(MAX_TIMEOUT_MS + 1) // past the first step: cancel() stops the next one
    cancel()
    vi.advanceTimersByTime(3 * MAX_TIMEOUT_MS)
    expect(cancelled).not.toHaveBeenCalled()
  })
})
