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
  const onVisible = () => {
    if (doc?.visibilityState !== 'hidden') onWake()
  }
  const listeners: Array<[EventTarget | undefined, string, () => void]> = [
    [doc, 'visibilitychange', onVisible],
    // `resume` fires when Chrome unfreezes a frozen page (Page Lifecycle API).
    [doc, 'resume', onWake],
    [win, 'online', onWake],
    [win, 'focus', onWake],
    [win, 'pageshow', onWake],
  ]
  for (const [target, type, listener] of listeners) target?.addEventListener(type, listener)
  return () => {
    for (const [target, type, listener] of listeners) target?.removeEventListener(type, listener)
  }
}
