/**
 * @module
 * Wake-up signals. Timers are throttled in background tabs and frozen during sleep, so a tab that
 * becomes visible, comes back online or is restored checks its token's expiry against the wall
 * clock at once instead of trusting a late timer. Nothing is fetched unless a refresh is due.
 */

/** @internal Calls `onWake` on the events above; returns a function that removes the listeners. */
export function listenForWake(onWake: () => void): () => void {
  const doc = (globalThis as { document?: Document }).document
  const win = (globalThis as { window?: Window }).window
  const onVisibility = () => {
    if (doc?.visibilityState !== 'hidden') onWake()
  }
  doc?.addEventListener('visibilitychange', onVisibility)
  // `resume` fires when Chrome unfreezes a discarded or frozen page (Page Lifecycle API).
  doc?.addEventListener('resume', onWake)
  win?.addEventListener('online', onWake)
  win?.addEventListener('focus', onWake)
  win?.addEventListener('pageshow', onWake)
  return () => {
    doc?.removeEventListener('visibilitychange', onVisibility)
    doc?.removeEventListener('resume', onWake)
    win?.removeEventListener('online', onWake)
    win?.removeEventListener('focus', onWake)
    win?.removeEventListener('pageshow', onWake)
  }
}
