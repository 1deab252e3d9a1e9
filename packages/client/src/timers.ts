/**
 * Timers go through the globals at call time rather than captured references, so fake timers or
 * spies installed after the client was created still apply (the TanStack Query way).
 */
// Longer delays overflow setTimeout's 32-bit counter and fire at once; firing early is safe here,
// every callback re-checks the wall clock.
const MAX_DELAY = 2 ** 31 - 1

export const setTimer = (callback: () => void, ms: number): ReturnType<typeof setTimeout> =>
  setTimeout(callback, Math.min(MAX_DELAY, Math.max(0, ms)))

export const clearTimer = (timer: ReturnType<typeof setTimeout> | undefined): void => {
  if (timer !== undefined) clearTimeout(timer)
}
