import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { RefreshTrigger } from './events.js'
import { createRefreshSchedule } from './refresh-schedule.js'

const T0 = 1_000_000

describe('createRefreshSchedule', () => {
  let fired: Array<[RefreshTrigger, number]>
  let random: number
  const create = () =>
    createRefreshSchedule({
      initialDelay: 1_000,
      maxDelay: 5_000,
      now: () => Date.now(),
      random: () => random,
      onFire: (trigger) => void fired.push([trigger, Date.now() - T0]),
    })

  beforeEach(() => {
    vi.useFakeTimers({ now: T0 })
    fired = []
    random = 0
  })
  afterEach(() => void vi.useRealTimers())

  it('at(): fires once, scheduled, at that instant; a new at() replaces it', () => {
    const schedule = create()
    schedule.at(T0 + 10_000)
    schedule.at(T0 + 20_000)
    vi.advanceTimersByTime(60_000)
    expect(fired).toEqual([['scheduled', 20_000]])
  })

  it('at() in the past fires at once', () => {
    create().at(T0 - 5)
    vi.advanceTimersByTime(0)
    expect(fired).toEqual([['scheduled', 0]])
  })

  it('backoff(): doubling steps up to the cap, each delay in [step / 2, step]', () => {
    const schedule = create()
    random = 0
    expect([1, 2, 3, 4, 5].map(() => schedule.backoff())).toEqual([500, 1_000, 2_000, 2_500, 2_500])
    schedule.succeeded()
    random = 0.999_999
    expect([1, 2, 3, 4].map(() => schedule.backoff())).toEqual([1_000, 2_000, 4_000, 5_000])
  })

  it('backoff() arms a retry; failing holds until succeeded()', () => {
    const schedule = create()
    expect(schedule.failing).toBe(false)
    random = 0.5
    expect(schedule.backoff()).toBe(750)
    expect(schedule.failing).toBe(true)
    vi.advanceTimersByTime(749)
    expect(fired).toEqual([])
    vi.advanceTimersByTime(1)
    expect(fired).toEqual([['retry', 750]])
    schedule.succeeded()
    expect(schedule.failing).toBe(false)
  })

  it('deferUntil(): the armed timer and the next ones wait for it; succeeded() lifts it', () => {
    const schedule = create()
    schedule.at(T0 + 1_000)
    schedule.deferUntil(T0 + 20_000)
    // Later than it: left alone.
    schedule.deferUntil(T0 + 5_000)
    vi.advanceTimersByTime(19_999)
    expect(fired).toEqual([])
    vi.advanceTimersByTime(1)
    expect(fired).toEqual([['scheduled', 20_000]])
    schedule.deferUntil(T0 + 30_000)
    expect(schedule.backoff()).toBe(10_000)
    schedule.succeeded()
    schedule.at(T0 + 21_000)
    vi.advanceTimersByTime(1_000)
    expect(fired).toEqual([
      ['scheduled', 20_000],
      ['scheduled', 21_000],
    ])
  })

  it('cancel() stops the timer', () => {
    const schedule = create()
    schedule.at(T0 + 1_000)
    schedule.cancel()
    vi.advanceTimersByTime(10_000)
    expect(fired).toEqual([])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('clamps delays beyond setTimeout’s 32-bit range instead of firing at once', () => {
    create().at(T0 + 40 * 86_400_000)
    vi.advanceTimersByTime(2 ** 31 - 2)
    expect(fired).toEqual([])
  })
})
