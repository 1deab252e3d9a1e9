/**
 * @module
 * Requests waiting for a usable token while a refresh runs in this tab or another. Bounded in
 * size; every waiter has a timeout and honours its `AbortSignal`.
 */
import { BatonError } from './errors.js'
import { clearTimer, setTimer } from './timers.js'

interface Waiter {
  resolve(token: string): void
  reject(error: unknown): void
}

/** @internal */
export function createRequestQueue(options: {
  maxSize: number
  timeout: number
  /** The error a timed-out waiter gets (the last network failure, if any, for a refresh). */
  timeoutError: () => BatonError
  onQueued: (waiting: number) => void
  onReleased: (count: number) => void
}) {
  const waiters = new Set<Waiter>()

  return {
    get size() {
      return waiters.size
    },

    enqueue(signal?: AbortSignal | null): Promise<string> {
      // Rejected with the caller's abort reason, whatever it is, as fetch does.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      if (signal?.aborted) return Promise.reject(signal.reason)
      if (waiters.size >= options.maxSize) {
        return Promise.reject(
          new BatonError('queue_full', `Over ${options.maxSize} requests waiting.`),
        )
      }
      return new Promise<string>((resolve, reject) => {
        const done = () => {
          waiters.delete(waiter)
          clearTimer(timer)
          signal?.removeEventListener('abort', onAbort)
        }
        const waiter: Waiter = {
          resolve: (token) => (done(), resolve(token)),
          // The session's errors, or the caller's abort reason as it is (see above).
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
          reject: (error) => (done(), reject(error)),
        }
        const onAbort = () => waiter.reject(signal!.reason)
        const timer = setTimer(() => waiter.reject(options.timeoutError()), options.timeout)
        signal?.addEventListener('abort', onAbort, { once: true })
        waiters.add(waiter)
        options.onQueued(waiters.size)
      })
    },

    release(token: string) {
      const count = waiters.size
      if (count === 0) return
      for (const waiter of [...waiters]) waiter.resolve(token)
      options.onReleased(count)
    },

    rejectAll(error: unknown) {
      for (const waiter of [...waiters]) waiter.reject(error)
    },
  }
}
