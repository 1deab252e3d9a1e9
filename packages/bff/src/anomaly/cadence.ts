/**
 * @module
 * How many times a session rotated lately. The stored session only knows its last rotation
 * (`rotatedAt`), so the times of the recent ones are kept here, in this process, on the BFF's own
 * clock: exact on one instance or behind sticky routing; behind a round-robin balancer each
 * instance sees its share, so a burst must be that many times larger to be seen. Memory is
 * bounded: at most `capacity` sessions of `max + 1` timestamps each, the least recently refreshed
 * forgotten first (which can only miss a signal, never raise a false one).
 * @internal
 */

/** @internal */
export interface CadenceTracker {
  /**
   * How many rotations of `sessionId` fall within the window if one is made at `now` (at most
   * `max + 1`), recording nothing: the rotation may still be refused, or fail.
   */
  count(sessionId: string, now: number): number
  /** Records a rotation of `sessionId` the store accepted at `now`. */
  record(sessionId: string, now: number): void
}

/** @internal */
export function createCadenceTracker(options: {
  max: number
  windowMs: number
  capacity?: number
}): CadenceTracker {
  const { max, windowMs, capacity = 10_000 } = options
  const recent = new Map<string, number[]>()
  /** The times of `sessionId`'s rotations within the window at `now`. */
  const within = (sessionId: string, now: number) => {
    // Filtered in place: one array per session for its whole life, not one per rotation.
    const times = recent.get(sessionId) ?? []
    let kept = 0
    for (const at of times) if (now - at < windowMs) times[kept++] = at
    times.length = kept
    return times
  }
  return {
    count: (sessionId, now) => Math.min(within(sessionId, now).length + 1, max + 1),
    record(sessionId, now) {
      const times = within(sessionId, now)
      times.push(now)
      // One more than the limit is enough to know it was passed.
      if (times.length > max + 1) times.splice(0, times.length - (max + 1))
      // Re-inserting keeps the Map in least-recently-refreshed order for eviction.
      recent.delete(sessionId)
      recent.set(sessionId, times)
      if (recent.size > capacity) recent.delete(recent.keys().next().value!)
    },
  }
}
