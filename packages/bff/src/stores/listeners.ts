import type { RevocationListener } from './types.js'

/**
 * @internal The in-process revocation listeners of a single-instance store (memory, SQLite).
 * The Redis store has its own, fed by pub/sub as well.
 */
export function revocationListeners() {
  const listeners = new Set<RevocationListener>()
  return {
    subscribe(listener: RevocationListener): () => void {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    notify(ids: readonly string[]) {
      if (ids.length === 0) return
      for (const listener of [...listeners]) {
        // The revocation has happened; a listener's failure must not turn it into a store error.
        try {
          listener(ids)
        } catch {
          // Listeners (requireAuth's revocation cache) do not throw; a foreign one is ignored.
        }
      }
    },
    clear() {
      listeners.clear()
    },
  }
}
