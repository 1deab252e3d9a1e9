/**
 * @module
 * The default wake-up source. Timers are throttled in background tabs and frozen during sleep, so
 * a tab that becomes visible, comes back online or is restored checks its token's expiry against
 * the wall clock at once instead of trusting a late timer. Nothing is fetched unless a refresh is
 * due. Replace it with the `adapters.wake` option (tests, React Native's `AppState`, a WebView).
 */

/**
 * Calls `onWake` whenever the app may have slept; returns a function that stops listening (the
 * shape of TanStack Query's `focusManager.setEventListener` setup). A wake-up costs nothing
 * unless the token is due.
 *
 * @example
 * ```ts
 * // Also wake up when the user comes back to an idle kiosk.
 * const wake: WakeAdapter = (onWake) => {
 *   document.addEventListener('pointerdown', onWake)
 *   return () => document.removeEventListener('pointerdown', onWake)
 * }
 * createSessionClient({ adapters: { wake } })
 * ```
 */
export type WakeAdapter = (onWake: () => void) => () => void

/** @internal Listens to `visibilitychange`, `resume`, `online`, `focus` and `pageshow`. */
export const browserWake: WakeAdapter = (onWake) => {
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
