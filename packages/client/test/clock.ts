/**
 * Fake time that only moves when a test moves it: `run()` lets it run until a promise settles,
 * `advance()` by an exact amount. Before every step, the real work in flight (the BFF's
 * WebCrypto, messages between tabs) is drained, so a timer never fires "during" a request that
 * would take a millisecond in a browser: results do not depend on the machine's speed.
 */
import { vi } from 'vitest'

/** One task of the real event loop (not faked). */
export const realTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Sources of real work in flight: the BFF, the browsers' networks and message buses. */
const sources = new Set<() => boolean>()

/** Counts `busy` as real work in flight until the returned function is called. */
export function trackWork(busy: () => boolean): () => void {
  sources.add(busy)
  return () => sources.delete(busy)
}

/** Lets the real work in flight (the BFF's crypto, messages between tabs) finish. */
export async function drain(): Promise<void> {
  do await realTurn()
  while ([...sources].some((busy) => busy()))
}

/**
 * Lets fake time run, one timer at a time with the real work drained in between, until `done()`
 * holds; fails after `limitMs` of fake time.
 */
async function runUntil(done: () => boolean, limitMs: number, what: string): Promise<void> {
  const deadline = Date.now() + limitMs
  for (;;) {
    await drain()
    if (done()) return
    if (Date.now() >= deadline) throw new Error(`${what}: not within ${limitMs} ms of fake time`)
    // A sentinel bounds the jump to the deadline.
    const sentinel = setTimeout(() => {}, deadline - Date.now())
    await vi.advanceTimersToNextTimerAsync()
    clearTimeout(sentinel)
  }
}

/** Awaits `promise`, letting fake time run as much as it needs (at most `limitMs`). */
export async function run<T>(promise: Promise<T>, limitMs = 60_000): Promise<T> {
  let settled = false
  const tracked = promise.finally(() => (settled = true))
  tracked.catch(() => {})
  await runUntil(() => settled, limitMs, 'the promise to settle')
  return tracked
}

/** Lets fake time run until `predicate` holds (at most `limitMs`). */
export const waitFor = (predicate: () => boolean, what = 'condition', limitMs = 60_000) =>
  runUntil(predicate, limitMs, `waiting for ${what}`)

/** Moves fake time forward by exactly `ms`, running every timer due, real work drained between. */
export async function advance(ms: number): Promise<void> {
  const target = Date.now() + ms
  await runUntil(() => Date.now() >= target, ms, `advancing ${ms} ms`)
}

/** Settles `promise` into a value or the error, without moving fake time. */
export const settled = <T>(promise: Promise<T>) => {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false }
  promise.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  )
  return state
}
