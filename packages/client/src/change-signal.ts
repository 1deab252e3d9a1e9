/**
 * @module
 * "Something changed" (a grant, a peer's news, the end), for code that waits for news with a
 * deadline instead of polling.
 */
import { clearTimer, setTimer } from './timers.js'

/** @internal */
export function createChangeSignal() {
  let waiters: Array<() => void> = []
  return {
    /** Wakes every waiter. */
    notify() {
      const waiting = waiters
      waiters = []
      for (const resolve of waiting) resolve()
    },
    /** Resolves at the next `notify()`, or after `timeoutMs`. */
    next: (timeoutMs: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimer(resolve, timeoutMs)
        waiters.push(() => {
          clearTimer(timer)
          resolve()
        })
      }),
  }
}
