/**
 * @module
 * The tabs' message bus: BroadcastChannel where it exists (same origin only, never persisted),
 * else nothing, and each tab lives on its own.
 */

/**
 * Posts to every other tab of the channel and listens to them, with BroadcastChannel's
 * semantics: a structured copy, delivered later, never to the sender. What arrives is checked
 * before use, so an adapter may pass on anything.
 *
 * @example
 * ```ts
 * // A browser extension's tabs, over runtime messaging instead of BroadcastChannel.
 * createSessionClient({
 *   adapters: {
 *     channel: (name): ChannelAdapter => ({
 *       post: (message) => void chrome.runtime.sendMessage({ name, message }),
 *       subscribe(listener) {
 *         const onMessage = (data: { name: string; message: unknown }) => {
 *           if (data.name === name) listener(data.message)
 *         }
 *         chrome.runtime.onMessage.addListener(onMessage)
 *         return () => chrome.runtime.onMessage.removeListener(onMessage)
 *       },
 *       close() {},
 *     }),
 *   },
 * })
 * ```
 */
export interface ChannelAdapter {
  post(message: unknown): void
  subscribe(listener: (message: unknown) => void): () => void
  close(): void
}

/** A BroadcastChannel-backed adapter, or `null` where the API is missing. */
export function broadcastChannel(name: string): ChannelAdapter | null {
  if (typeof globalThis.BroadcastChannel !== 'function') return null
  const channel = new BroadcastChannel(name)
  // Node keeps the process alive while a channel is open; a forgotten client must not.
  ;(channel as { unref?: () => void }).unref?.()
  const listeners = new Set<(message: unknown) => void>()
  channel.onmessage = (event: MessageEvent) => {
    for (const listener of listeners) listener(event.data)
  }
  return {
    post(message) {
      try {
        channel.postMessage(message)
      } catch {
        // Posting on a closed channel throws; a tab being torn down has nobody left to tell.
      }
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close() {
      listeners.clear()
      channel.close()
    },
  }
}

/** The adapter for a tab that has no BroadcastChannel: messages go nowhere. */
export const isolatedChannel = (): ChannelAdapter => ({
  post() {},
  subscribe: () => () => {},
  close() {},
})
