/**
 * @module
 * One answer per `/login/mfa` ticket judged at a time. Taking the ticket only after a right answer
 * left two answers sent together both judged: two recovery codes spent for one sign-in, or a
 * resent code judged wrong against the user's budget after its twin had won. A second pending
 * record beside the ticket (`j:`), counted up by whoever starts judging (`failPending`, atomic in
 * every store) and down when it is done, lets exactly one in; the others get the answer for a
 * spent ticket, unjudged.
 *
 * A count that is not brought down would end the ticket for good, so a release that fails (the
 * store is down: the answer was `503`, "send it again") is owed: this instance pays it with the
 * next answer it takes on that ticket, and retries it meanwhile. A release reported failed may
 * have been applied (a lost reply), and is then paid twice: a count below one is brought back up
 * by the next answer. A ticket without the record (one
 * issued by an older release, or the record evicted alone) is judged without it, as before.
 * @internal
 */
import type { FactorStore } from './types.js'

/** The pending record counting the answers being judged on the ticket stored under `ticketKey`. */
export const judgingKey = (ticketKey: string) => `j:${ticketKey.slice('t:'.length)}`

/** At most this many releases counted twice are made good by one answer. */
const MAX_HEAL = 16

/** How soon a failed release is tried again, doubling up to the ticket's lifetime. */
const RETRY_MS = 500

/** @internal */
export function createJudging(
  factors: FactorStore,
  now: () => number,
  ticketTtlMs: number,
  logger: Pick<Console, 'warn'>,
) {
  /** Judging records whose releases failed: how many, and when their ticket ends at the latest. */
  const owed = new Map<string, { count: number; until: number }>()

  const owe = (judging: string, count: number) => {
    const debt = owed.get(judging)
    if (debt) debt.count += count
    else owed.set(judging, { count, until: now() + ticketTtlMs })
  }

  /** Pays what is owed on `judging`, at most `most`; returns how much was paid. */
  const pay = async (judging: string, most: number) => {
    const debt = owed.get(judging)
    let paid = 0
    if (!debt) return paid
    owed.delete(judging)
    try {
      for (; paid < Math.min(debt.count, most); paid++) {
        await factors.failPending(judging, now(), -1)
      }
    } finally {
      // Added to, not replaced: a release that failed meanwhile is owed as well.
      if (debt.count > paid) owe(judging, debt.count - paid)
    }
    return paid
  }

  const retry = (judging: string, delayMs: number) => {
    const timer = setTimeout(() => {
      const debt = owed.get(judging)
      if (!debt) return
      if (now() >= debt.until) return void owed.delete(judging)
      pay(judging, debt.count).catch(() => retry(judging, Math.min(delayMs * 2, ticketTtlMs)))
    }, delayMs)
    timer.unref?.()
  }

  const release = async (judging: string) => {
    try {
      await factors.failPending(judging, now(), -1)
    } catch (error) {
      logger.warn('[baton] mfa: a ticket’s judging count was not released; retrying', error)
      owe(judging, 1)
      retry(judging, RETRY_MS)
    }
  }

  return {
    /**
     * Runs `judge` (the checks of one answer) as the only answer being judged on the ticket of
     * `ticketKey`; throws `busy()` unjudged while another is.
     */
    async alone<T>(ticketKey: string, judge: () => Promise<T>, busy: () => Error): Promise<T> {
      const judging = judgingKey(ticketKey)
      let judges = await factors.failPending(judging, now())
      // Below one: a release reported failed had been applied all the same (a lost reply), and
      // was paid again. Each increment makes one of those good; whoever reaches one holds it.
      for (let healed = 0; judges !== null && judges < 1 && healed < MAX_HEAL; healed++) {
        judges = await factors.failPending(judging, now())
      }
      // Nobody held it, so what this instance thought it owed had been applied: paid already.
      if (judges === 1) owed.delete(judging)
      // What this instance failed to bring down is paid first, so the answer told to send again
      // is judged. Should the store fail again, our own count is owed too.
      if (judges !== null && judges > 1) {
        try {
          judges -= await pay(judging, judges - 1)
        } catch (error) {
          owe(judging, 1)
          throw error
        }
      }
      if (judges !== null && judges !== 1) {
        await release(judging)
        throw busy()
      }
      let result: T
      try {
        result = await judge()
      } catch (error) {
        // Open to the next answer; a ticket this one ended leaves the record to its expiry.
        if (judges !== null) await release(judging)
        throw error
      }
      if (judges !== null) await factors.takePending(judging, now()).catch(() => undefined)
      return result
    },
  }
}
