/**
 * @module
 * Cross-tab mutual exclusion. `navigatorLock` uses the Web Locks API, which the browser releases
 * by itself when a tab closes or crashes; `processLock` serialises callers inside one JavaScript
 * realm, for environments without Web Locks (and for tests that run several clients in one
 * process, where it behaves like one browser's lock manager).
 */
import { clearTimer, setTimer } from '../timers.js'

/**
 * Runs `fn` while holding the exclusive lock `name`. If the lock cannot be had within
 * `acquireTimeoutMs` (its holder is hung), it is taken over rather than waited on for ever:
 * every holder bounds its own work, so a lock held that long is orphaned. Pass one as
 * `adapters.lock` where Web Locks are missing or must be shared differently (auth-js's
 * `LockFunc` shape).
 *
 * @example
 * ```ts
 * // One lock per JavaScript realm, e.g. for a runtime without Web Locks.
 * let tail = Promise.resolve()
 * const realmLock: LockAdapter = (_name, _timeoutMs, fn) => {
 *   const run = tail.then(fn)
 *   tail = run.then(() => {}, () => {})
 *   return run
 * }
 * createSessionClient({ adapters: { lock: realmLock } })
 * ```
 */
export type LockAdapter = <R>(
  name: string,
  acquireTimeoutMs: number,
  fn: () => Promise<R>,
) => Promise<R>

interface LockManagerLike {
  request<R>(
    name: string,
    options: { signal?: AbortSignal; steal?: boolean },
    fn: () => Promise<R>,
  ): Promise<R>
}

/** @internal The Web Locks manager of this context, if it has one. */
export const webLocks = (): LockManagerLike | undefined =>
  (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks

export const navigatorLock: LockAdapter = async (name, acquireTimeoutMs, fn) => {
  const locks = webLocks()!
  const controller = new AbortController()
  const timer = setTimer(() => controller.abort(), acquireTimeoutMs)
  try {
    return await locks.request(name, { signal: controller.signal }, () => {
      clearTimer(timer)
      return fn()
    })
  } catch (error) {
    if (!controller.signal.aborted) throw error
    // Supabase's lock hung every auth call when a tab never released it (supabase-js#2111).
    return locks.request(name, { steal: true }, fn)
  } finally {
    clearTimer(timer)
  }
}

const chains = new Map<string, Promise<void>>()

export const processLock: LockAdapter = async (name, acquireTimeoutMs, fn) => {
  const previous = chains.get(name)
  let release!: () => void
  const mine = new Promise<void>((resolve) => (release = resolve))
  const tail = previous ? previous.then(() => mine) : mine
  chains.set(name, tail)
  let patience: ReturnType<typeof setTimeout> | undefined
  try {
    if (previous) {
      await new Promise<void>((resolve) => {
        patience = setTimer(resolve, acquireTimeoutMs)
        void previous.then(resolve)
      })
      // Cleared once acquired, so a waiter leaves no timer behind to keep a Node process alive.
      clearTimer(patience)
    }
    return await fn()
  } finally {
    release()
    if (chains.get(name) === tail) chains.delete(name)
  }
}
