import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { RefreshNetworkError } from './errors.js'
import { createRequestQueue } from './queue.js'

describe('createRequestQueue', () => {
  let queued: number[]
  let released: number[]
  const create = (maxSize = 3) =>
    createRequestQueue({
      maxSize,
      timeout: 1_000,
      timeoutError: () => new RefreshNetworkError('No token in time.'),
      onQueued: (waiting) => void queued.push(waiting),
      onReleased: (count) => void released.push(count),
    })

  beforeEach(() => {
    vi.useFakeTimers()
    queued = []
    released = []
  })
  afterEach(() => void vi.useRealTimers())

  it('releases every waiter with the token, and reports it', async () => {
    const queue = create()
    const waiting = [queue.enqueue(), queue.enqueue()]
    expect(queue.size).toBe(2)
    queue.release('t')
    await expect(Promise.all(waiting)).resolves.toEqual(['t', 't'])
    expect(queued).toEqual([1, 2])
    expect(released).toEqual([2])
    expect(queue.size).toBe(0)
    queue.release('t')
    expect(released).toEqual([2]) // nobody waiting, nothing reported
    expect(vi.getTimerCount()).toBe(0)
  })

  it('rejects a waiter after its timeout, exactly', async () => {
    const queue = create()
    const waiting = queue.enqueue()
    waiting.catch(() => {})
    vi.advanceTimersByTime(999)
    expect(queue.size).toBe(1)
    vi.advanceTimersByTime(1)
    await expect(waiting).rejects.toEqual(new RefreshNetworkError('No token in time.'))
    expect(queue.size).toBe(0)
  })

  it('rejects beyond maxSize at once with queue_full', async () => {
    const queue = create(1)
    void queue.enqueue()
    await expect(queue.enqueue()).rejects.toMatchObject({
      code: 'queue_full',
      message: 'Over 1 requests waiting.',
    })
    expect(queue.size).toBe(1)
  })

  it('honours an AbortSignal, before and while waiting', async () => {
    const queue = create()
    await expect(queue.enqueue(AbortSignal.abort(new Error('before')))).rejects.toThrow('before')
    const controller = new AbortController()
    const waiting = queue.enqueue(controller.signal)
    controller.abort(new Error('while'))
    await expect(waiting).rejects.toThrow('while')
    expect(queue.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('rejectAll() fails every waiter with the error', async () => {
    const queue = create()
    const waiting = [queue.enqueue(), queue.enqueue()]
    queue.rejectAll(new Error('over'))
    expect(await Promise.allSettled(waiting)).toEqual([
      { status: 'rejected', reason: new Error('over') },
      { status: 'rejected', reason: new Error('over') },
    ])
  })
})
