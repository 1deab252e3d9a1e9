/**
 * @module
 * The Redis store's command connection and its failure semantics: a client the store creates
 * fails fast instead of queueing, an operation waits for a connection that is still coming up for
 * at most the timeout and fails at once while the connection is known to be down, and every
 * failure becomes 503 `store_unavailable` (through the guard the session service uses too).
 * @internal
 */
import { Cluster, Redis, type ClusterNode, type ClusterOptions, type RedisOptions } from 'ioredis'
import { parseDuration, type Duration } from '@baton/protocol'
import { guardStore } from './guard.js'
import { heartbeat, KEEP_ALIVE_MS } from './redis-heartbeat.js'

/** @internal */
export const noop = () => {}

/** A single Redis (standalone, or a Sentinel-managed primary) or a Redis Cluster. */
export type RedisClient = Redis | Cluster

/**
 * A Redis Cluster for the store to connect to: its startup nodes, and ioredis `Cluster` options
 * (for example `{ redisOptions: { password } }` or `natMap`).
 */
export interface RedisClusterConfig {
  cluster: ClusterNode[]
  options?: ClusterOptions
}

/** What `redisStore({ redis })` accepts. */
export type RedisSource = RedisClient | RedisOptions | RedisClusterConfig | string

/** @internal A client rather than options; duck-typed, because `instanceof` fails across ioredis copies. */
export const isClient = (value: RedisSource): value is RedisClient =>
  typeof value === 'object' &&
  typeof (value as Partial<Redis>).evalsha === 'function' &&
  typeof (value as Partial<Redis>).duplicate === 'function'

const isClusterConfig = (value: RedisSource): value is RedisClusterConfig =>
  typeof value === 'object' &&
  !isClient(value) &&
  Array.isArray((value as RedisClusterConfig).cluster)

/** @internal Whether `client` is a Redis Cluster client (whose pipelines must stay in one slot). */
export const isCluster = (client: RedisClient): client is Cluster =>
  (client as Partial<Cluster>).isCluster === true

/** @internal Reconnects forever, at least once a second, so the store recovers soon after Redis. */
export const reconnectForever = (times: number) => Math.min(times * 100, 1_000)

/**
 * @internal The settings of a client the store creates (see `RedisStoreOptions.redis`): a request
 * made while Redis is away fails at once rather than queueing, because a rotation queued for
 * minutes and run after the client had given up would make its retry look like token reuse.
 */
export const failFastOptions = (timeoutMs: number): RedisOptions => ({
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  commandTimeout: timeoutMs,
  retryStrategy: reconnectForever,
  keepAlive: KEEP_ALIVE_MS,
})

/** @internal The command connection, as the store and its revocation feed use it. */
export interface RedisConnection {
  /** The client passed in, or the one created from options, a cluster config or a URL. */
  readonly client: RedisClient
  /** Resolves once the client is ready; rejects at once while it is known to be down. */
  ensureReady(): Promise<void>
  /** Runs `operation` once the client is ready; any failure but a `BffError` becomes a 503. */
  call<T>(operation: () => Promise<T>): Promise<T>
  /** Quits the client if the store created it; a client passed in stays its owner's. */
  close(): Promise<void>
}

/**
 * @internal Connects (or adopts a client) with the failure semantics described above. A single
 * Redis client the store creates is pinged every `heartbeatMs`: `commandTimeout` fails a command
 * on a connection that went silent but keeps the connection, so every operation would time out
 * until the kernel gave up on it (hours); the ping reconnects it instead.
 */
export function redisConnection(
  source: RedisSource,
  timeoutMs: number,
  heartbeatMs: number,
): RedisConnection {
  const failFast = failFastOptions(timeoutMs)
  const ownsClient = !isClient(source)
  const client: RedisClient = isClient(source)
    ? source
    : typeof source === 'string'
      ? new Redis(source, failFast)
      : isClusterConfig(source)
        ? new Cluster(source.cluster, {
            // The same fail-fast semantics, for the cluster and for each node's connection.
            enableOfflineQueue: false,
            clusterRetryStrategy: reconnectForever,
            ...source.options,
            redisOptions: { ...failFast, ...source.options?.redisOptions },
          })
        : new Redis({ ...failFast, ...source })
  // Connection errors surface as rejected commands (503s, which the BFF logs); without a listener
  // ioredis would also print every failed reconnection attempt.
  if (ownsClient) client.on('error', noop)
  const stopHeartbeat =
    ownsClient && !isCluster(client)
      ? heartbeat({ target: () => client, intervalMs: heartbeatMs, timeoutMs })
      : noop

  let readyWait: Promise<void> | null = null
  const waitUntilReady = () =>
    (readyWait ??= new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        clearTimeout(timer)
        client.off('ready', onReady)
        client.off('close', onClose)
        client.off('end', onClose)
        readyWait = null
        if (error) reject(error)
        else resolve()
      }
      const onReady = () => settle()
      const onClose = () =>
        settle(new Error('redis store: the connection closed before it was ready'))
      const timer = setTimeout(
        () => settle(new Error(`redis store: not connected within ${timeoutMs} ms`)),
        timeoutMs,
      )
      client.once('ready', onReady)
      client.once('close', onClose)
      client.once('end', onClose)
    }))

  const ensureReady = async () => {
    switch (client.status) {
      case 'ready':
        return
      case 'wait':
        client.connect().catch(noop)
        return waitUntilReady()
      case 'connecting':
      case 'connect':
        return waitUntilReady()
      default:
        // 'reconnecting', 'close' or 'end': Redis is known to be away; answer now, not later.
        throw new Error(`redis store: the connection is ${client.status}`)
    }
  }

  return {
    client,
    ensureReady,
    call: (operation) =>
      guardStore(async () => {
        await ensureReady()
        return operation()
      }),
    async close() {
      stopHeartbeat()
      if (!ownsClient) return
      try {
        await client.quit()
      } catch {
        client.disconnect()
      }
    },
  }
}

/**
 * @internal What every write of the store awaits under `waitForReplicas` (see
 * `RedisStoreOptions.waitForReplicas`): resolves once `replicas` replicas have this connection's
 * writes so far (Redis `WAIT`), throws when fewer acknowledged them in time; does nothing without
 * the option. `WAIT` counts the replicas of the connection it is sent on, so it is refused for a
 * cluster, whose writes go to many primaries.
 */
export function replicationCheck(
  client: RedisClient,
  options: { replicas: number; timeout?: Duration } | undefined,
): () => Promise<void> {
  if (options === undefined) return async () => {}
  const { replicas } = options
  const timeoutMs = parseDuration(options.timeout ?? '250ms', 'waitForReplicas.timeout')
  if (!Number.isInteger(replicas) || replicas < 1) {
    throw new TypeError('redisStore: waitForReplicas.replicas must be a whole number of at least 1')
  }
  if (isCluster(client)) {
    throw new TypeError('redisStore: waitForReplicas is for a single primary, not a Redis Cluster')
  }
  return async () => {
    const acknowledged = await client.wait(replicas, timeoutMs)
    if (acknowledged < replicas) {
      throw new Error(
        `redis store: ${acknowledged} of ${replicas} replicas acknowledged the write within ${timeoutMs} ms`,
      )
    }
  }
}

/**
 * @internal The hashes at `keys`: one pipeline on a single Redis; on a cluster, where a pipeline
 * must stay in one slot and each key may have its own, concurrent reads (ioredis sends each to its
 * node).
 */
export async function readHashes(client: RedisClient, keys: readonly string[]): Promise<unknown[]> {
  if (isCluster(client)) return Promise.all(keys.map((key) => client.hgetall(key)))
  const pipeline = client.pipeline()
  for (const key of keys) pipeline.hgetall(key)
  return ((await pipeline.exec()) ?? []).map(([error, fields]) => {
    if (error) throw error
    return fields
  })
}
