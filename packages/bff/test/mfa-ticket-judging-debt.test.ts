/**
 * The judging lock's debts (`ticket-judging.ts`), driven through a store whose releases fail on
 * cue: a release that fails while an earlier debt is being paid is owed too, so the count comes
 * back down and the ticket takes answers again. Too narrow a race to stage through HTTP.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createJudging } from '../src/mfa/ticket-judging.js'
import type { FactorStore } from '../src/mfa/types.js'

afterEach(() => {
  vi.useRealTimers()
})

class Busy extends Error {}

describe('a release failing while an owed one is being paid', () => {
  it('is owed too: once the store is back, the next answer is judged', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] })
    let count = 0
    /** What the next `-1` does: apply, fail, or wait for the test. */
    const releases: Array<'ok' | 'fail' | (() => Promise<void>)> = []
    const factors = {
      async failPending(_key: string, _now: number, by: 1 | -1 = 1) {
        if (by === 1) return ++count
        const next = releases.shift() ?? 'ok'
        if (next === 'fail') throw new Error('ECONNRESET')
        if (next !== 'ok') {
          await next()
          throw new Error('ECONNRESET')
        }
        return --count
      },
      async takePending() {
        return null
      },
    } as unknown as FactorStore
    const judging = createJudging(factors, () => 0, 300_000, { warn: () => {} })
    const ticket = 't:abc'
    const busy = () => new Busy()
    const outage = () => Promise.reject(new Error('store down'))

    // 1. An answer judged during an outage, its release failing: owed 1 (count 1).
    releases.push('fail')
    await expect(judging.alone(ticket, outage, busy)).rejects.toThrow('store down')
    expect(count).toBe(1)

    // 2. The resend (A) starts paying that debt; the store hangs on it.
    let unblock!: () => void
    const hung = new Promise<void>((resolve) => (unblock = resolve))
    releases.push(() => hung)
    const a = judging.alone(ticket, async () => 'judged', busy)
    await vi.advanceTimersByTimeAsync(0)
    // 3. Meanwhile another resend (B) finds the ticket busy, and its release fails: owed.
    releases.push('fail')
    await expect(judging.alone(ticket, async () => 'judged', busy)).rejects.toBeInstanceOf(Busy)
    // 4. A's payment fails too.
    unblock()
    await expect(a).rejects.toThrow('ECONNRESET')
    expect(count).toBe(3)

    // 5. The store is back; the retry timers pay every debt.
    await vi.advanceTimersByTimeAsync(60_000)
    expect(count).toBe(0)
    // 6. The next answer is judged.
    await expect(judging.alone(ticket, async () => 'judged', busy)).resolves.toBe('judged')
  })
})
