/**
 * @module
 * One timer per tab: the proactive refresh before expiry, or the next retry after a network
 * failure (exponential backoff with jitter, so tabs and devices do not retry in lockstep).
 */
import type { RefreshTrigger } from './events.js'
import { clearTimer, setTimer } from './timers.js'

/** @internal */
export function createRefreshSchedule(options: {
  initialDelay: number
  maxDelay: number
  onFire: (trigger: RefreshTrigger) => void
  now: () => number
  /** A number in [0, 1) for the jitter. @default Math.random */
  random?: () => number
}) {
  const random = options.random ?? Math.random
  let timer: ReturnType<typeof setTimeout> | undefined
  let failures = 0
  // The BFF's Retry-After: the next retry is no sooner than this (epoch ms).
  let notBefore = 0

  const arm = (delay: number, trigger: RefreshTrigger) => {
    clearTimer(timer)
    timer = setTimer(() => {
      timer = undefined
      options.onFire(trigger)
    }, delay)
  }

  return {
    /** True after a network failure, until the next success. */
    get failing() {
      return failures > 0
    },
    /** Refresh at `when` (epoch ms). */
    at(when: number) {
      arm(when - options.now(), 'scheduled')
    },
    /** Schedules the next retry after a failure; returns its delay. */
    backoff(): number {
      const ceiling = Math.min(options.maxDelay, options.initialDelay * 2 ** Math.min(failures, 20))
      failures++
      // "Equal jitter": never sooner than half the step, so a dead BFF is not hammered.
      const jittered = Math.round(ceiling / 2 + (random() * ceiling) / 2)
      const delay = Math.max(jittered, notBefore - options.now())
      notBefore = 0
      arm(delay, 'retry')
      return delay
    },
    /** The BFF asked not to be retried before `when` (epoch ms): the next backoff waits for it. */
    deferUntil(when: number) {
      notBefore = Math.max(notBefore, when)
    },
    succeeded() {
      failures = 0
      notBefore = 0
    },
    cancel() {
      clearTimer(timer)
      timer = undefined
    },
  }
}
