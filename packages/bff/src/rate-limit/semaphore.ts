/**
 * @module
 * A counting semaphore with a bounded, timed queue: the cap on concurrent `authenticate` calls.
 * @internal
 */

/** @internal Why a caller got no slot: every slot busy and the queue full, or waited too long. */
export class SemaphoreRefused extends Error {
  override readonly name = 'SemaphoreRefused'
  constructor(readonly reason: 'queue_full' | 'timeout') {
    super(`no authenticate slot (${reason})`)
  }
}

/** @internal */
export interface Semaphore {
  /** Runs `task` once a slot is free; rejects with {@link SemaphoreRefused} when none comes in time. */
  run<T>(task: () => Promise<T>): Promise<T>
  readonly running: number
  readonly waiting: number
}

/** @internal A semaphore of `max` slots, `queue` waiters, each waiting at most `maxWaitMs`. */
export function semaphore(max: number, queue: number, maxWaitMs: number): Semaphore {
  let running = 0
  const waiters: Array<() => void> = []

  const release = () => {
    const next = waiters.shift()
    if (next) next()
    else running--
  }

  const acquire = () =>
    new Promise<void>((resolve, reject) => {
      if (running < max) {
        running++
        resolve()
        return
      }
      if (waiters.length >= queue) {
        reject(new SemaphoreRefused('queue_full'))
        return
      }
      // The slot passes straight from the releasing task to this waiter (`running` unchanged).
      const waiter = () => {
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1)
        reject(new SemaphoreRefused('timeout'))
      }, maxWaitMs)
      waiters.push(waiter)
    })

  return {
    get running() {
      return running
    },
    get waiting() {
      return waiters.length
    },
    async run(task) {
      await acquire()
      try {
        return await task()
      } finally {
        release()
      }
    },
  }
}
