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
  /** When the armed timer goes off (epoch ms), and why. */
  let armed: { at: number; trigger: RefreshTrigger } | null = null
  let failures = 0
  // The BFF's Retry-After: no refresh is due before this (epoch ms), whatever the timer's reason.
  let notBefore = 0

  /** Arms the timer for `delay` ms, or until `notBefore`; returns the wait. */
  const arm = (delay: number, trigger: RefreshTrigger) => {
    clearTimer(timer)
    const wait = Math.max(delay, notBefore - options.now())
    armed = { at: options.now() + wait, trigger }
    timer = setTimer(() => {
      timer = undefined
      armed = null
      options.onFire(trigger)
    }, wait)
    return wait
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
      return arm(Math.round(ceiling / 2 + (random() * ceiling) / 2), 'retry')
    },
    /**
     * The BFF asked not to be refreshed before `when` (epoch ms), this tab or another: the timer,
     * armed now or later, waits for it.
     */
    deferUntil(when: number) {
      notBefore = Math.max(notBefore, when)
      if (armed && armed.at < notBefore) arm(0, armed.trigger)
    },
    succeeded() {
      failures = 0
      notBefore = 0
    },
    cancel() {
      clearTimer(timer)
      timer = undefined
      armed = null
    },
  }
}

/** @internal */
export type RefreshSchedule = ReturnType<typeof createRefreshSchedule>
