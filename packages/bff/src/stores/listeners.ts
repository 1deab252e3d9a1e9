/**
 * @module
 * In-process revocation listeners, the one delivery behaviour every store shares: the memory and
 * SQLite stores notify them directly, the Redis store also from its pub/sub feed and its replay.
 * @internal
 */
import type { RevocationListener } from './types.js'

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
