/**
 * @module
 * Plugs a tab into its browser: the channel, the lock and the wake-up source given as
 * `adapters`, or the browser's own, saying once (debug) which browser API is missing.
 */
import { TAB_PROTOCOL_VERSION } from '@baton/protocol'
import type { ClientConfig } from '../options.js'
import { browserWake } from '../visibility.js'
import { broadcastChannel, isolatedChannel } from './channel.js'
import { navigatorLock, processLock, webLocks } from './lock.js'

/** @internal */
export function connectTab(
  config: ClientConfig,
  handlers: { onMessage: (message: unknown) => void; onWake: () => void },
) {
  const { adapters, logger } = config
  // The version is part of the name: tabs running another Baton (a deploy while tabs are open)
  // never read each other's messages.
  const opened = (adapters.channel ?? broadcastChannel)(`${config.channel}:${TAB_PROTOCOL_VERSION}`)
  if (!opened && !adapters.channel)
    logger.debug('[baton] No BroadcastChannel: this tab shares no tokens or sign-outs.')
  let lock = adapters.lock
  if (!lock && webLocks()) lock = navigatorLock
  else if (!lock) logger.debug('[baton] No Web Locks: refreshes are serialised in this tab only.')
  const channel = opened ?? isolatedChannel()
  const unsubscribe = channel.subscribe(handlers.onMessage)
  const stopWake = (adapters.wake ?? browserWake)(handlers.onWake)
  return {
    lock: lock ?? processLock,
    channel,
    /** False when messages go nowhere (no channel): nobody can answer. */
    shared: opened !== null,
    disconnect() {
      stopWake()
      unsubscribe()
      channel.close()
    },
  }
}

/** @internal */
export type TabConnection = ReturnType<typeof connectTab>
