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
  /**
   * `signal` aborts when the client is destroyed: a request still waiting for the lock is
   * withdrawn then (the client no longer waits for it either, and never runs `fn` once destroyed).
   */
  <R>(
    name: string,
    acquireTimeoutMs: number,
    fn: () => Promise<R>,
    signal?: AbortSignal,
  ): Promise<R>
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
  const query = typeof locks.query === 'function' ? locks.query.bind(locks) : null
  /** Holds `name` in shared mode until the returned function is called. */
  const hold = (name: string) => {
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    // Shared: never waits for another holder, and nobody ever asks for it exclusively.
    locks.request(name, { mode: 'shared' }, () => held).catch(() => {})
    return release
  }
  // A holder names when it took the lock in a lock it holds meanwhile, so that a waiter queued
  // behind others counts its patience from there: Web Locks say who waits, not for how long.
  const since = (name: string) => `${name}:since:`
  /** When the holder of `name` took it, or `null` when this browser cannot tell. */
  const heldSince = async (name: string): Promise<number | null> => {
    const { held = [], pending = [] } = (await query?.().catch(() => null)) ?? {}
    const times = [...held, ...pending].flatMap((info) =>
      info.name?.startsWith(since(name)) ? [Number(info.name.slice(since(name).length))] : [],
    )
    return times.length > 0 ? Math.max(...times) : null
  }

  /** How long a waiter for `name` still owes its holder, `0` when the holder is past its bounds. */
  const patienceLeft = async (name: string, acquireTimeoutMs: number) => {
    const from = await heldSince(name)
    return from === null ? 0 : from + acquireTimeoutMs - Date.now()
  }
  /** Takes `name` once it is free, or `null` when it was not within `waitMs` and then some. */
  const wait = async <R>(
    name: string,
    waitMs: number,
    acquireTimeoutMs: number,
    fn: () => R,
    signal?: AbortSignal,
  ) => {
    // Withdrawn already (between two waits, or before the first): nothing to ask for.
    signal?.throwIfAborted()
    const controller = new AbortController()
    const withdraw = () => controller.abort()
    signal?.addEventListener('abort', withdraw)
    let granted = false
    let timer: ReturnType<typeof setTimer> | undefined
    const expire = async () => {
      const left = await patienceLeft(name, acquireTimeoutMs)
      if (granted) return
      if (left > 0) timer = setTimer(() => void expire(), left)
      else controller.abort()
    }
    timer = setTimer(() => void expire(), waitMs)
    try {
      return await locks.request(name, { signal: controller.signal }, async () => {
        granted = true
        clearTimer(timer)
        return { value: await fn() }
      })
    } catch (error) {
      if (!controller.signal.aborted) throw error
      // Withdrawn by its client's end, not given up on the holder: what comes next (a take-over's
      // wait, or `steal`) sees the signal and throws, so no take-over follows.
      return null
    } finally {
      clearTimer(timer)
      signal?.removeEventListener('abort', withdraw)
    }
  }

  const lock: LockAdapter = async (name, acquireTimeoutMs, fn, signal) => {
    const run = async () => {
      // Nobody could read it without `query`: a waiter then takes over after its own wait.
      const release = query ? hold(since(name) + Date.now()) : () => {}
      try {
        return await fn()
      } finally {
        release()
      }
    }
    /** Takes `name` from its holder; resolves once `fn` runs (its start in the marker). */
    const steal = () => {
      // A client destroyed while its take-over was being judged takes nothing from the holder.
      signal?.throwIfAborted()
      return new Promise<{ result: ReturnType<typeof run> }>((started) => {
        const result = locks.request(name, { steal: true }, () => {
          const running = run()
          started({ result })
          return running
        })
        result.catch(() => started({ result }))
      })
    }
    for (let waitMs = acquireTimeoutMs; ;) {
      const done = await wait(name, waitMs, acquireTimeoutMs, run, signal)
      if (done) return done.value
      // Supabase's lock hung every auth call when a tab never released it (supabase-js#2111).
      if (!query) return (await steal()).result
      // The waiters behind a hung holder all give up on it at about the same time, but the first
      // to take over is working by the time the next would: stolen from, it would go on, and two
      // refreshes would spend one cookie. So take-overs go one at a time, each judging the holder
      // again, and whoever finds a new one within its bounds waits for it like any waiter.
      const judge = async () => {
        waitMs = await patienceLeft(name, acquireTimeoutMs)
        return waitMs > 0 ? null : steal()
      }
      const judged = await wait(
        `${name}:takeover`,
        acquireTimeoutMs,
        acquireTimeoutMs,
        judge,
        signal,
      )
      // A take-over lock whose holder hung too is not waited on either.
      const taken = judged ? judged.value : await judge()
      if (taken) return taken.result
    }
  }
  if (query === null) return lock
  lock.hold = hold
  lock.query = async () => {
    const { held = [], pending = [] } = await query()
    return [...held, ...pending].flatMap(({ name }) => (name === undefined ? [] : [name]))
  }
  return lock
}

/** A caller of `processLock`: it resolves `acquired` when it has the lock, `released` when done. */
interface Turn {
  acquired: Promise<void>
  released: Promise<void>
}

const chains = new Map<string, Turn>()

/**
 * @internal Serialises callers in this JavaScript realm only. It has no `hold` or `query`: the
 * realm cannot see the other tabs, so a starting tab asks them instead.
 */
export const processLock: LockAdapter = async (name, acquireTimeoutMs, fn) => {
  const previous = chains.get(name)
  let acquire!: () => void
  let release!: () => void
  const turn: Turn = {
    acquired: new Promise<void>((resolve) => (acquire = resolve)),
    released: new Promise<void>((resolve) => (release = resolve)),
  }
  chains.set(name, turn)
  let patience: ReturnType<typeof setTimeout> | undefined
  try {
    if (previous) {
      await new Promise<void>((resolve) => {
        void previous.released.then(resolve)
        // Counted from when the one before took the lock, not from this call: behind other
        // waiters, each of them working within its bounds, the wait adds up to more.
        void previous.acquired.then(() => (patience = setTimer(resolve, acquireTimeoutMs)))
      })
      // Cleared once acquired, so a waiter leaves no timer behind to keep a Node process alive.
      clearTimer(patience)
    }
    acquire()
    return await fn()
  } finally {
    release()
    if (chains.get(name) === turn) chains.delete(name)
  }
}
