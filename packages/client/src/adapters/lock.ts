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
 * `hold` and `query` together let a starting tab see, without asking and waiting, whether
 * another tab holds a session it could hand over: every tab with a session lists a random id in
 * the presence marker (`adapters.storage`) and holds a lock named after it for as long as it has
 * one; a starting tab that finds no id listed refreshes at once, and one that finds some asks
 * `query` which are alive. An adapter without them still works: a starting tab then asks the
 * other tabs and waits up to `peerTimeout` for an answer before it refreshes.
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
export interface LockAdapter {
  <R>(name: string, acquireTimeoutMs: number, fn: () => Promise<R>): Promise<R>
  /**
   * Holds the lock `name` in shared mode, beside any number of other holders, until the
   * returned function is called; it must be let go of by itself when the tab closes or crashes
   * (Web Locks do). Only useful together with `query`.
   */
  hold?: (name: string) => () => void
  /**
   * The names of the locks held or requested in this browser, across all its tabs of the origin,
   * one entry per holder or waiter (Web Locks' `navigator.locks.query()`). Only useful together
   * with `hold`.
   */
  query?: () => Promise<readonly string[]>
}

interface LockInfoLike {
  name?: string
}

interface LockManagerLike {
  request<R>(
    name: string,
    options: { signal?: AbortSignal; steal?: boolean; mode?: 'exclusive' | 'shared' },
    fn: () => Promise<R>,
  ): Promise<R>
  query?(): Promise<{ held?: LockInfoLike[]; pending?: LockInfoLike[] }>
}

/** @internal The Web Locks manager of this context, if it has one. */
export const webLocks = (): LockManagerLike | undefined =>
  (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks

/**
 * @internal The lock adapter over the Web Locks manager `locks`; `hold` and `query` only where
 * the manager can query (every browser with Web Locks can; a polyfill or an old engine may not).
 */
export function navigatorLock(locks: LockManagerLike): LockAdapter {
  const lock: LockAdapter = async (name, acquireTimeoutMs, fn) => {
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
  if (typeof locks.query !== 'function') return lock
  const query = locks.query.bind(locks)
  lock.hold = (name) => {
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    // Shared: never waits for another holder, and nobody ever asks for it exclusively.
    locks.request(name, { mode: 'shared' }, () => held).catch(() => {})
    return release
  }
  lock.query = async () => {
    const { held = [], pending = [] } = await query()
    return [...held, ...pending].flatMap(({ name }) => (name === undefined ? [] : [name]))
  }
  return lock
}

const chains = new Map<string, Promise<void>>()

/**
 * @internal Serialises callers in this JavaScript realm only. It has no `hold` or `query`: the
 * realm cannot see the other tabs, so a starting tab asks them instead.
 */
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
