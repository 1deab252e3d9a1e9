/**
 * @module
 * A timeout at a wall-clock time however far away. Node's `setTimeout` keeps its delay in a 32-bit
 * counter: anything above 2^31 - 1 ms (about 24.8 days) overflows, and the callback fires after
 * 1 ms instead (a `TimeoutOverflowWarning`). `BATON_ACCESS_TTL` has no upper bound, so the admin
 * stream's expiry can be further away than that.
 */

/** The longest delay `setTimeout` honours. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1

/**
 * Calls `callback` once `now()` reaches `at`, re-arming in steps of at most {@link MAX_TIMEOUT_MS}
 * (each step re-reads the clock, so an early wake-up only waits again). Returns a function that
 * cancels it.
 */
export function setTimeoutAt(
  callback: () => void,
  at: number,
  now: () => number = Date.now,
): () => void {
  let timer: ReturnType<typeof setTimeout>
  const arm = () => {
    const left = Math.max(0, at - now())
    timer = setTimeout(left > MAX_TIMEOUT_MS ? arm : callback, Math.min(left, MAX_TIMEOUT_MS))
  }
  arm()
  return () => clearTimeout(timer)
}
