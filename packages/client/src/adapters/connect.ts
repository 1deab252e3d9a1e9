/**
 * @module
 * Plugs a tab into its browser: the channel, the lock and the wake-up source given as
 * `adapters`, or the browser's own, saying once (debug) which browser API is missing; and the
 * marker and lock that tell starting tabs this one can hand them its session (`tab-presence.ts`).
 */
import { TAB_PROTOCOL_VERSION } from '@baton/protocol'
import type { ClientConfig } from '../options.js'
import { createTabPresence } from '../tab-presence.js'
import { browserWake } from '../visibility.js'
import { broadcastChannel, isolatedChannel, type ChannelAdapter } from './channel.js'
import { navigatorLock, processLock, webLocks } from './lock.js'

// The version is part of the name: tabs running another Baton (a deploy while tabs are open)
// never read each other's messages, nor count on each other to answer.
const versionedName = (config: ClientConfig) => `${config.channel}:${TAB_PROTOCOL_VERSION}`

/** @internal The tabs' channel, or `null` where there is none. */
export function openTabChannel(config: ClientConfig): ChannelAdapter | null {
  const opened = (config.adapters.channel ?? broadcastChannel)(versionedName(config))
  if (!opened && !config.adapters.channel)
    config.logger.debug('[baton] No BroadcastChannel: this tab shares no tokens or sign-outs.')
  return opened
}

/** @internal `opened`: the channel, when it was opened earlier (`askOtherTabs`). */
export function connectTab(
  config: ClientConfig,
  handlers: { onMessage: (message: unknown) => void; onWake: () => void },
  opened = openTabChannel(config),
) {
  const { adapters, logger } = config
  const versioned = versionedName(config)
  let lock = adapters.lock
  const locks = lock ? undefined : webLocks()
  if (locks) lock = navigatorLock(locks)
  else if (!lock) logger.debug('[baton] No Web Locks: refreshes are serialised in this tab only.')
  const channel = opened ?? isolatedChannel()
  const unsubscribe = channel.subscribe(handlers.onMessage)
  const stopWake = (adapters.wake ?? browserWake)(handlers.onWake)
  // A tab without a channel could never answer a starting tab: it never says it could. The
  // marker's storage is read when used, as the pending sign-out's is (`sign-out.ts`).
  const presence = createTabPresence(
    opened ? (lock ?? processLock) : processLock,
    `${versioned}:session`,
    {
      prefix: `${versioned}:tab:`,
      storage: () =>
        (adapters.storage === undefined ? globalThis.localStorage : adapters.storage) ?? null,
    },
  )
  return {
    lock: lock ?? processLock,
    channel,
    presence,
    /** False when messages go nowhere (no channel): nobody can answer. */
    shared: opened !== null,
    disconnect() {
      presence.close()
      stopWake()
      unsubscribe()
      channel.close()
    },
  }
}

/** @internal */
export type TabConnection = ReturnType<typeof connectTab>
