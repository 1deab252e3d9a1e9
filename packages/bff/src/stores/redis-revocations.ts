/**
 * @module
 * The Redis store's revocation feed: revocations of this instance reach its own listeners at
 * once, and every other instance's through pub/sub on a connection of its own; a subscriber that
 * (re)connects replays the ids revoked within the replay window, so it cannot miss one while away.
 * @internal
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { epochListeners, revocationListeners } from './listeners.js'
import {
  isCluster,
  noop,
  reconnectForever,
  type RedisClient,
  type RedisConnection,
} from './redis-connection.js'
import { heartbeat, KEEP_ALIVE_MS } from './redis-heartbeat.js'
import { RECORD_REVOKED, runScript } from './redis-scripts.js'
import type { EpochListener, RevocationListener } from './types.js'

/** @internal Where the feed lives and how far back it replays. */
export interface RevocationFeedOptions {
  connection: Pick<RedisConnection, 'client' | 'ensureReady'>
  /** The pub/sub channel. */
  channel: string
  /** The sorted set of recently revoked ids, scored by time. */
  revokedKey: string
  /** The string key holding the revocation epoch (epoch ms). */
  epochKey: string
  /** The replay window in ms; `0` records and replays nothing. */
  replayMs: number
  /** The clock that timestamps the replay window. */
  clock: () => number
  /** How often the subscriber connection is pinged (`redis-heartbeat.ts`). */
  heartbeatMs: number
  /** How long a ping may wait for its reply before the connection counts as gone. */
  heartbeatTimeoutMs: number
}

/** @internal */
export interface RevocationFeed {
  /** `SessionStore.subscribeRevocations`: the first listener opens the subscriber connection. */
  subscribe(listener: RevocationListener): () => void
  /** Tells every instance (this one first, synchronously) that `ids` were revoked. */
  announce(ids: readonly string[]): Promise<void>
  /** `SessionStore.subscribeRevocationEpoch`, on the same subscriber connection. */
  subscribeEpoch(listener: EpochListener): () => void
  /** Tells every instance (this one first, synchronously) that the epoch is now `epoch`. */
  announceEpoch(epoch: number): Promise<void>
  /** Drops every listener and the subscriber connection; nothing subscribes afterwards. */
  close(): void
}

/** @internal A pub/sub message: anything unexpected is ignored rather than trusted. */
export function parseRevocationMessage(
  message: string,
): { origin: string; ids: string[]; epoch: number | null } | null {
  try {
    const parsed: unknown = JSON.parse(message)
    if (typeof parsed !== 'object' || parsed === null) return null
    const { o, ids, epoch } = parsed as { o?: unknown; ids?: unknown; epoch?: unknown }
    if (typeof o !== 'string' || !Array.isArray(ids)) return null
    return {
      origin: o,
      ids: ids.filter((id): id is string => typeof id === 'string'),
      // Messages of older versions carry no epoch.
      epoch: typeof epoch === 'number' && Number.isFinite(epoch) && epoch > 0 ? epoch : null,
    }
  } catch {
    return null
  }
}

/** @internal The feed of one store, on its own subscriber connection. */
export function revocationFeed(options: RevocationFeedOptions): RevocationFeed {
  const { connection, channel, revokedKey, epochKey, replayMs, clock } = options
  const { heartbeatMs, heartbeatTimeoutMs } = options
  const { client } = connection
  const listeners = revocationListeners()
  const epochs = epochListeners()
  // Marks this instance's own messages, whose listeners were already called synchronously.
  const origin = randomBytes(12).toString('base64url')
  let closed = false
  let subscriber: RedisClient | null = null
  let subscribed = false
  let stopHeartbeat = noop

  /** Delivers the epoch in force to every epoch listener (they each hear an epoch once). */
  const replayEpoch = async () => {
    if (epochs.size === 0) return
    await connection.ensureReady()
    const stored = await client.get(epochKey)
    if (stored !== null) epochs.notify(Number(stored))
  }

  /** Delivers the ids revoked within the window to `to`, or to every listener. */
  const replay = async (to?: Iterable<RevocationListener>) => {
    await replayEpoch()
    if (replayMs === 0 || listeners.size === 0) return
    await connection.ensureReady()
    const ids = await client.zrangebyscore(revokedKey, clock() - replayMs, '+inf')
    listeners.notify(ids, to)
  }

  const onMessage = (from: string, message: string) => {
    if (from !== channel) return
    const parsed = parseRevocationMessage(message)
    if (!parsed) return
    // An epoch only ever rises, so hearing our own again changes nothing.
    if (parsed.epoch !== null) epochs.notify(parsed.epoch)
    if (parsed.origin !== origin) listeners.notify(parsed.ids)
  }

  // Subscribes (again) whenever the subscriber connection becomes ready, then replays what may
  // have been published while it was away. A failure drops the connection, whose retry strategy
  // brings it back here.
  const resubscribe = async (subscription: RedisClient) => {
    try {
      await subscription.subscribe(channel)
      if (subscription !== subscriber) return
      subscribed = true
      await replay()
    } catch {
      if (subscription === subscriber) subscription.disconnect(true)
    }
  }

  /** A connection of the same kind and settings as the command client's, for SUBSCRIBE. */
  const subscriberConnection = (): RedisClient => {
    const subscriberSettings = {
      lazyConnect: false,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      // Resubscribed by hand on 'ready', followed by a replay.
      autoResubscribe: false,
    }
    if (isCluster(client)) {
      // The connection ioredis subscribes on takes only the node's address and credentials from
      // these: the heartbeat, not keep-alive, is what notices it went silent.
      // Cluster pub/sub: a message published on any node reaches subscribers on every node.
      const { commandTimeout: _unused, ...nodeSettings } = client.options.redisOptions ?? {}
      return client.duplicate(undefined, {
        enableOfflineQueue: true,
        lazyConnect: false,
        clusterRetryStrategy: client.options.clusterRetryStrategy ?? reconnectForever,
        redisOptions: { ...nodeSettings, ...subscriberSettings },
      })
    }
    // Everything but commandTimeout: SUBSCRIBE waits for the connection like any subscription.
    const { commandTimeout: _unused, ...settings } = client.options
    return new Redis({
      ...settings,
      ...subscriberSettings,
      // ioredis's default (0) keeps the kernel's delay; a delay of the client's own stays.
      keepAlive: settings.keepAlive || KEEP_ALIVE_MS,
      retryStrategy: settings.retryStrategy ?? reconnectForever,
    })
  }

  /**
   * On a cluster, ioredis's `ClusterSubscriber` replaces a dropped subscriber connection by itself
   * (a new connection, to any node, resubscribed) and the `Cluster` never emits 'ready' again, so
   * the replay on 'ready' alone missed what was published during the gap. This follows each
   * subscriber connection it makes (`subscriber.getInstance()`, internal to ioredis: without it,
   * only the 'ready' replay remains) and resubscribes and replays whenever one becomes ready. A
   * replacement exists by the time the previous connection's 'end' reaches us (ioredis reacts to
   * it first) or a node joins or leaves (when it had none, or its node left).
   */
  const followClusterSubscriber = (subscription: RedisClient) => {
    if (!isCluster(subscription)) return
    const followed = new WeakSet<object>()
    const follow = () => {
      if (subscription !== subscriber) return
      const instance = subscribedOn(subscription)
      if (!instance || followed.has(instance)) return
      followed.add(instance)
      instance.on('ready', () => void resubscribe(subscription))
      instance.once('end', follow)
      // Became ready before we got to it: nothing else will tell us.
      if (instance.status === 'ready') void resubscribe(subscription)
    }
    subscription.on('ready', follow)
    subscription.on('+node', follow)
    subscription.on('-node', follow)
  }

  /** The connection a subscription listens on: on a cluster, ioredis's own, when it has one. */
  const subscribedOn = (subscription: RedisClient): Redis | null => {
    if (!isCluster(subscription)) return subscription
    const internal = (subscription as unknown as { subscriber?: { getInstance?: () => unknown } })
      .subscriber
    const instance = internal?.getInstance?.() as Redis | null | undefined
    return instance && typeof instance.on === 'function' ? instance : null
  }

  const startSubscriber = () => {
    const subscription = subscriberConnection()
    subscription.on('error', noop)
    subscription.on('message', onMessage)
    subscription.on('ready', () => void resubscribe(subscription))
    followClusterSubscriber(subscription)
    subscription.on('close', () => {
      if (subscription === subscriber) subscribed = false
    })
    stopHeartbeat = heartbeat({
      target: () => subscribedOn(subscription),
      intervalMs: heartbeatMs,
      timeoutMs: heartbeatTimeoutMs,
    })
    return subscription
  }

  const stopSubscriber = () => {
    stopHeartbeat()
    stopHeartbeat = noop
    subscriber?.disconnect()
    subscriber = null
    subscribed = false
  }

  // The subscriber connection lives while anyone listens, to revocations or to the epoch.
  const release = (unsubscribe: () => void) => () => {
    unsubscribe()
    if (listeners.size === 0 && epochs.size === 0) stopSubscriber()
  }

  return {
    subscribe(listener) {
      // A closed store opens no new connection.
      if (closed) return noop
      const unsubscribe = listeners.subscribe(listener)
      if (!subscriber) subscriber = startSubscriber()
      else if (subscribed) replay([listener]).catch(noop)
      return release(unsubscribe)
    },

    subscribeEpoch(listener) {
      if (closed) return noop
      const unsubscribe = epochs.subscribe(listener)
      if (!subscriber) subscriber = startSubscriber()
      else if (subscribed) replayEpoch().catch(noop)
      return release(unsubscribe)
    },

    // The epoch key is written before this runs (by the caller's script), so an instance that
    // subscribes meanwhile reads it in its replay or hears this message.
    async announceEpoch(epoch) {
      epochs.notify(epoch)
      try {
        await client.publish(channel, JSON.stringify({ o: origin, ids: [], epoch }))
      } catch {
        // Subscribers read the epoch when they reconnect; refresh reads it on every call anyway.
      }
    },

    // Runs after a revocation succeeded, and never fails it: the revocation is stored, and every
    // instance that reads the session sees it. The id is recorded for the replay before it is
    // published, so an instance subscribing meanwhile either replays it (record first) or receives
    // the message (subscribed first): it cannot miss both.
    async announce(ids) {
      listeners.notify(ids)
      try {
        if (replayMs > 0) {
          await runScript(client, RECORD_REVOKED, [revokedKey], [clock(), replayMs, ...ids])
        }
        await client.publish(channel, JSON.stringify({ o: origin, ids }))
      } catch {
        // Redis went away between the revocation and this: subscribers replay it on reconnecting
        // if it was recorded; otherwise their access tokens live until `exp`, as without
        // checkRevoked.
      }
    },

    close() {
      closed = true
      listeners.clear()
      epochs.clear()
      stopSubscriber()
    },
  }
}
