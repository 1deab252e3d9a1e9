/**
 * @module
 * In-process revocation listeners, the one delivery behaviour every store shares: the memory and
 * SQLite stores notify them directly, the Redis store also from its pub/sub feed and its replay.
 * @internal
 */
import type { EpochListener, RevocationListener } from './types.js'

/** @internal A set of revocation listeners and the one way to call them. */
export interface RevocationListeners {
  /** Adds `listener` (once, however often it is passed); returns its unsubscribe. */
  subscribe(listener: RevocationListener): () => void
  /**
   * Calls every listener, or only those of `to`, with `ids`. A listener that unsubscribed in the
   * meantime is skipped. Nothing happens for an empty list.
   */
  notify(ids: readonly string[], to?: Iterable<RevocationListener>): void
  /** How many listeners are subscribed. */
  readonly size: number
  clear(): void
}

/** @internal The revocation listeners of one store. */
export function revocationListeners(): RevocationListeners {
  const listeners = new Set<RevocationListener>()
  return {
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    notify(ids, to = listeners) {
      if (ids.length === 0) return
      for (const listener of [...to]) {
        if (!listeners.has(listener)) continue
        // The revocation has happened, and Redis also delivers inside its connection's message
        // handler: one broken listener must neither starve the others, nor turn the revocation
        // into a store error, nor break the subscription.
        try {
          listener(ids)
        } catch {
          // Listeners (requireAuth's revocation cache) do not throw; a foreign one is ignored.
        }
      }
    },
    get size() {
      return listeners.size
    },
    clear() {
      listeners.clear()
    },
  }
}

/** @internal The epoch listeners of one store, and the highest epoch they were told. */
export interface EpochListeners {
  /** Adds `listener`; it hears the epoch in force at once when there is one. */
  subscribe(listener: EpochListener): () => void
  /**
   * Tells every listener about `epoch` when it is later than the last one they heard (an epoch
   * never moves back, and a replay after a reconnection repeats it).
   */
  notify(epoch: number): void
  /** The highest epoch heard so far, `0` for none. */
  readonly current: number
  readonly size: number
  clear(): void
}

/** @internal The revocation-epoch listeners of one store, with the same isolation as above. */
export function epochListeners(): EpochListeners {
  const listeners = new Set<EpochListener>()
  let current = 0
  const call = (listener: EpochListener, epoch: number) => {
    try {
      listener(epoch)
    } catch {
      // As for revocations: the epoch is raised, one broken listener changes nothing about it.
    }
  }
  return {
    subscribe(listener) {
      listeners.add(listener)
      if (current > 0) call(listener, current)
      return () => {
        listeners.delete(listener)
      }
    },
    notify(epoch) {
      if (!(epoch > current)) return
      current = epoch
      for (const listener of [...listeners]) if (listeners.has(listener)) call(listener, epoch)
    },
    get current() {
      return current
    },
    get size() {
      return listeners.size
    },
    clear() {
      listeners.clear()
    },
  }
}
