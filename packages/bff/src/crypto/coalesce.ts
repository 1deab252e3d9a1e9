/**
 * @module
 * Synchronous work made together once per turn of the event loop (`node.ts` signs this way).
 *
 * A BFF under load gets several requests in one poll phase. Done inline, each refresh ran from its
 * request's parse to its answer's write before the next one began: every step ran cold after the
 * previous request's, and every answer left alone, so the peer (the browser's connection, a proxy)
 * was woken once per answer, which on a virtual machine is a trip through the hypervisor. Deferred
 * to the check phase that follows, each request runs up to its signature and waits; then the
 * signatures run back to back (the key and OpenSSL's tables stay hot), the requests finish back to
 * back, and their answers leave together. A lone request waits for nothing: the check phase follows
 * the poll phase of the same turn. Measured in BENCHMARKS 2 and 6 (issue 15).
 */
// From node:timers, not the global: a test that fakes the global timers must not stall every
// signature behind a clock it never advances.
import { setImmediate } from 'node:timers'

// Deno and Bun load `node.ts` too (they match the `node` export condition); they get the work done
// at once, as before, rather than this module's bet on Node's own event loop phases.
const isNode =
  typeof process !== 'undefined' &&
  typeof process.versions?.node === 'string' &&
  !('Deno' in globalThis) &&
  !('Bun' in globalThis)

let queued: Array<() => void> | null = null

const runQueued = () => {
  const tasks = queued!
  queued = null
  for (const task of tasks) task()
}

/**
 * Runs `work` with the rest of this turn's, in the next check phase; its result or throw settles
 * the returned promise, and no other task's throw reaches it.
 */
export function inCheckPhase<T>(work: () => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const task = () => {
      try {
        resolve(work())
      } catch (error) {
        reject(error instanceof Error ? error : new Error('non-Error thrown', { cause: error }))
      }
    }
    if (!isNode) return task()
    if (queued === null) {
      // Scheduled before the queue exists: a queue without its turn would hold every later task.
      setImmediate(runQueued)
      queued = []
    }
    queued.push(task)
  })
}
