/**
 * @module
 * `redisStore()`: sessions in Redis, shared by every BFF instance. Import it from
 * `@baton/bff/stores/redis`, so only applications that use it load `ioredis`.
 *
 * Key layout (`<p>` is `keyPrefix`, `baton:` by default):
 * - `<p>{<sessionId>}:s`: the session, a hash (null fields are absent). Its TTL is the session's
 *   remaining lifetime, the earlier of its idle and absolute deadlines, and every rotation moves it.
 *   The hash tag keeps whatever belongs to one session in one Redis Cluster slot.
 * - `<p>u:{<userId>}`: a sorted set of the user's session ids scored by their absolute deadline
 *   (for the Devices list and "log out everywhere", without `KEYS` or `SCAN`). The score never
 *   changes, so a rotation writes only the session's own key; ids whose session already ended on
 *   the idle timeout are dropped the next time the index is read. The key's TTL always covers its
 *   latest member.
 * - `<p>revoked`: recently revoked session ids scored by time (see `revocationReplay`).
 * - channel `<p>revocations`: one message per revoking call, `{"o": origin, "ids": [...]}`.
 *
 * Tested with Redis 7. A Redis Cluster client is refused for now: each script stays in one slot,
 * but a user's index and the pipelines that read it span slots.
 */
import { randomBytes } from 'node:crypto'
import { Redis, type RedisOptions } from 'ioredis'
import { parseDuration, type Duration } from '../duration.js'
import { isBffError, storeUnavailable } from '../errors.js'
import { decodeSession, encodeRotation, encodeSession, pairsToRecord } from './redis-codec.js'
import { CREATE, INDEX_ADD, RECORD_REVOKED, REVOKE, ROTATE, runScript } from './redis-scripts.js'
import type { RevocationListener, RevocationReason, SessionStore, StoredSession } from './types.js'
import { byCreation, isLive, sessionDeadline } from './types.js'

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * The connection: an ioredis client, ioredis options, or a URL such as
   * `redis://:password@host:6379/0`.
   *
   * A client you pass stays yours: `close()` does not close it, and its own settings decide how
   * commands behave while Redis is unreachable. From options or a URL the store creates a client
   * that fails fast instead: `enableOfflineQueue: false`, `maxRetriesPerRequest: 0` and
   * `autoResendUnfulfilledCommands: false` (a request made while Redis is away fails at once with
   * 503 `store_unavailable` rather than queueing; a rotation queued for minutes and run after the
   * client had given up would make its retry look like token reuse), `commandTimeout` equal to
   * {@link RedisStoreOptions.timeout} (a half-open connection cannot hang a request), and a
   * `retryStrategy` that reconnects forever, at least once a second, so the store recovers by
   * itself soon after Redis does. Settings you pass in the options override these. Whatever the
   * client, while its connection is known to be down (`reconnecting`) the store fails at once, and
   * while it is still connecting it waits at most {@link RedisStoreOptions.timeout}.
   *
   * Revocations are received on a separate connection, always created by the store (a duplicate
   * of this one's settings), because a connection in subscriber mode can run no other command.
   */
  redis: Redis | RedisOptions | string
  /**
   * Prefix of every key and of the pub/sub channel. Give each application (and each test run) its
   * own. It may not contain `{` or `}`, which would break the hash tags.
   * @default 'baton:'
   */
  keyPrefix?: string
  /**
   * How long recently revoked session ids stay in Redis for instances that subscribe later or
   * reconnect after missing pub/sub messages: they replay this window when they (re)subscribe.
   * Keep it at least the access-token lifetime. `0` disables the replay (and the sorted set).
   * @default '15m'
   */
  revocationReplay?: Duration
  /**
   * How long an operation may wait for the connection to become ready (at start, or while it is
   * reconnecting after Redis came back) and, for a client the store creates, for a reply.
   * @default '2s'
   */
  timeout?: Duration
  /**
   * The clock that timestamps the replay window (session deadlines use the `now` the BFF passes).
   * @default Date.now
   */
  now?: () => number
}

/** The Redis store: a {@link SessionStore} plus what operations and tests need to look at it. */
export interface RedisStore extends SessionStore {
  /** The command connection (the one passed in, or the one the store created). */
  readonly client: Redis
  /** The names of the store's keys and channel. */
  readonly keys: {
    session(sessionId: string): string
    user(userId: string): string
    readonly revoked: string
    readonly channel: string
  }
}

const noop = () => {}

/** A client rather than options; duck-typed, because `instanceof` fails across ioredis copies. */
const isClient = (value: Redis | RedisOptions | string): value is Redis =>
  typeof value === 'object' &&
  typeof (value as Partial<Redis>).evalsha === 'function' &&
  typeof (value as Partial<Redis>).duplicate === 'function'

/** Reads a pub/sub message; anything unexpected is ignored rather than trusted. */
function parseMessage(message: string): { origin: string; ids: string[] } | null {
  try {
    const parsed: unknown = JSON.parse(message)
    if (typeof parsed !== 'object' || parsed === null) return null
    const { o, ids } = parsed as { o?: unknown; ids?: unknown }
    if (typeof o !== 'string' || !Array.isArray(ids)) return null
    return { origin: o, ids: ids.filter((id): id is string => typeof id === 'string') }
  } catch {
    return null
  }
}

/**
 * Sessions in Redis, for several BFF instances. Rotation, revocation and index updates are Lua
 * scripts, so they are atomic across processes; keys expire with their sessions; revocations reach
 * every instance's `requireAuth({ checkRevoked: store })` through pub/sub. When Redis is
 * unreachable every method throws 503 `store_unavailable` (the client keeps the user signed in and
 * retries), and the store recovers on its own when Redis returns.
 *
 * `subscribeRevocations` delivers revocations made by any instance, including this one (local
 * listeners hear about this instance's revocations synchronously, before the call returns). A new
 * subscriber, and every subscriber after its connection to Redis comes back, also receives the ids
 * revoked within `revocationReplay`, so an instance that starts or reconnects late still refuses
 * recently revoked sessions. Delivery may repeat an id; listeners must be idempotent.
 *
 * `revokeByUser` revokes each of the user's sessions atomically, one by one; a session created
 * while it runs may survive it, as if it had been created just after.
 *
 * @example
 * ```ts
 * import { createBff, requireAuth } from '@baton/bff'
 * import { redisStore } from '@baton/bff/stores/redis'
 *
 * const store = redisStore({ redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' })
 * const bff = createBff({ keys, store, authenticate })
 * api.use(requireAuth({ jwks: keys, issuer: 'baton', audience: 'baton-api', checkRevoked: store }))
 * ```
 */
export function redisStore(options: RedisStoreOptions): RedisStore {
  if (typeof options !== 'object' || options === null || options.redis === undefined) {
    throw new TypeError('redisStore: redis (a client, options or a URL) is required')
  }
  const prefix = options.keyPrefix ?? 'baton:'
  if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
    throw new TypeError(`redisStore: keyPrefix must be a string without "{" or "}"`)
  }
  const replayMs = parseDuration(options.revocationReplay ?? '15m', 'revocationReplay')
  const timeoutMs = parseDuration(options.timeout ?? '2s', 'timeout')
  if (timeoutMs <= 0) throw new TypeError('redisStore: timeout must be positive')
  const clock = options.now ?? (() => Date.now())

  const failFast: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: timeoutMs,
    retryStrategy: (times) => Math.min(times * 100, 1_000),
  }
  const source = options.redis
  if (isClient(source) && source.isCluster) {
    // Scripts are slot-safe, but the user index and the pipelines span slots.
    throw new TypeError('redisStore: Redis Cluster clients are not supported yet')
  }
  const ownsClient = !isClient(source)
  const client = isClient(source)
    ? source
    : typeof source === 'string'
      ? new Redis(source, failFast)
      : new Redis({ ...failFast, ...source })
  // Connection errors surface as rejected commands (503s, which the BFF logs); without a listener
  // ioredis would also print every failed reconnection attempt.
  if (ownsClient) client.on('error', noop)

  const keys: RedisStore['keys'] = {
    session: (sessionId) => `${prefix}{${sessionId}}:s`,
    user: (userId) => `${prefix}u:{${userId}}`,
    revoked: `${prefix}revoked`,
    channel: `${prefix}revocations`,
  }
  // Marks this instance's own messages, whose listeners were already called synchronously.
  const origin = randomBytes(12).toString('base64url')

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

  /** Every operation goes through here, so any Redis failure becomes a 503. */
  const call = async <T>(operation: () => Promise<T>): Promise<T> => {
    try {
      await ensureReady()
      return await operation()
    } catch (error) {
      if (isBffError(error)) throw error
      throw storeUnavailable(error)
    }
  }

  // ---- Revocation fan-out ----------------------------------------------------------------------

  const listeners = new Set<RevocationListener>()
  let closed = false
  let subscriber: Redis | null = null
  let subscribed = false

  const deliver = (ids: readonly string[], to: Iterable<RevocationListener> = listeners) => {
    if (ids.length === 0) return
    for (const listener of [...to]) {
      if (!listeners.has(listener)) continue
      try {
        listener(ids)
      } catch {
        // Deliveries also run inside the connection's message handler: one broken listener must
        // neither starve the others nor break the subscription.
      }
    }
  }

  const replay = async (to: Iterable<RevocationListener>) => {
    if (replayMs === 0) return
    await ensureReady()
    const ids = await client.zrangebyscore(keys.revoked, clock() - replayMs, '+inf')
    deliver(ids, to)
  }

  const onMessage = (channel: string, message: string) => {
    if (channel !== keys.channel) return
    const parsed = parseMessage(message)
    if (parsed && parsed.origin !== origin) deliver(parsed.ids)
  }

  // Subscribes (again) whenever the subscriber connection becomes ready, then replays what may
  // have been published while it was away. A failure drops the connection, whose retry strategy
  // brings it back here.
  const resubscribe = async (connection: Redis) => {
    try {
      await connection.subscribe(keys.channel)
      if (connection !== subscriber) return
      subscribed = true
      await replay(listeners)
    } catch {
      if (connection === subscriber) connection.disconnect(true)
    }
  }

  const startSubscriber = () => {
    // Everything but commandTimeout: SUBSCRIBE waits for the connection like any subscription.
    const { commandTimeout: _unused, ...settings } = client.options
    const connection = new Redis({
      ...settings,
      lazyConnect: false,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      // Resubscribed by hand on 'ready', followed by a replay.
      autoResubscribe: false,
      retryStrategy: settings.retryStrategy ?? failFast.retryStrategy,
    })
    connection.on('error', noop)
    connection.on('message', onMessage)
    connection.on('ready', () => void resubscribe(connection))
    connection.on('close', () => {
      if (connection === subscriber) subscribed = false
    })
    return connection
  }

  const stopSubscriber = () => {
    subscriber?.disconnect()
    subscriber = null
    subscribed = false
  }

  // Runs after a revocation succeeded, and never fails it: the revocation is stored, and every
  // instance that reads the session sees it. The id is recorded for the replay before it is
  // published, so an instance subscribing meanwhile either replays it (record first) or receives
  // the message (subscribed first): it cannot miss both.
  const announce = async (ids: readonly string[]) => {
    deliver(ids)
    try {
      if (replayMs > 0) {
        await runScript(client, RECORD_REVOKED, [keys.revoked], [clock(), replayMs, ...ids])
      }
      await client.publish(keys.channel, JSON.stringify({ o: origin, ids }))
    } catch {
      // Redis went away between the revocation and this: subscribers replay it on reconnecting if
      // it was recorded; otherwise their access tokens live until `exp`, as without checkRevoked.
    }
  }

  const revokeOne = async (
    sessionId: string,
    reason: RevocationReason,
    now: number,
    onlyLive: boolean,
  ): Promise<StoredSession | null> => {
    const before = await runScript(
      client,
      REVOKE,
      [keys.session(sessionId)],
      [now, reason, onlyLive ? '1' : '0'],
    )
    return before === null ? null : decodeSession(pairsToRecord(before))
  }

  /** The user's indexed ids whose absolute deadline is still ahead. */
  const indexedIds = (userId: string, now: number) =>
    client.zrangebyscore(keys.user(userId), `(${now}`, '+inf')

  // ---- The store -------------------------------------------------------------------------------

  return {
    client,
    keys,

    async create(session, now) {
      const created = await call(async () => {
        // Indexed first: if the second write fails, the index names a session that does not
        // exist (dropped on the next read), never a session that "log out everywhere" misses.
        if (session.expiresAt > now) {
          await runScript(
            client,
            INDEX_ADD,
            [keys.user(session.userId)],
            [now, session.expiresAt, session.id],
          )
        }
        const ttl = Math.max(1, Math.ceil(sessionDeadline(session) - now))
        return runScript(
          client,
          CREATE,
          [keys.session(session.id)],
          [ttl, ...encodeSession(session)],
        )
      })
      if (created !== 1) throw new Error(`session ${session.id} already exists`)
    },

    async get(sessionId) {
      return call(async () => decodeSession(await client.hgetall(keys.session(sessionId))))
    },

    async rotate(sessionId, expectedTokenHash, rotation, now) {
      const { set, unset } = encodeRotation(rotation)
      const rotated = await call(() =>
        runScript(
          client,
          ROTATE,
          [keys.session(sessionId)],
          [expectedTokenHash, now, set.length / 2, ...set, ...unset],
        ),
      )
      return rotated === 1
    },

    async revoke(sessionId, reason, now) {
      const before = await call(() => revokeOne(sessionId, reason, now, false))
      if (before) await announce([before.id])
      return before
    },

    async revokeByUser(userId, reason, now) {
      const revoked = await call(async () => {
        const ids = await indexedIds(userId, now)
        const results = await Promise.all(ids.map((id) => revokeOne(id, reason, now, true)))
        return results.filter((session): session is StoredSession => session !== null)
      })
      if (revoked.length > 0) await announce(revoked.map((session) => session.id))
      return revoked
    },

    async listByUser(userId, now) {
      return call(async () => {
        const ids = await indexedIds(userId, now)
        if (ids.length === 0) return []
        const pipeline = client.pipeline()
        for (const id of ids) pipeline.hgetall(keys.session(id))
        const replies = (await pipeline.exec()) ?? []
        const live: StoredSession[] = []
        const gone: string[] = []
        replies.forEach(([error, fields], i) => {
          if (error) throw error
          const session = decodeSession(pairsToRecord(fields))
          if (!session) gone.push(ids[i]!)
          else if (isLive(session, now)) live.push(session)
        })
        // Sessions that ended on their idle deadline: their keys expired, their ids stay here.
        if (gone.length > 0) await client.zrem(keys.user(userId), ...gone)
        return live.sort(byCreation)
      })
    },

    subscribeRevocations(listener) {
      // A closed store opens no new connection.
      if (closed) return noop
      listeners.add(listener)
      if (!subscriber) subscriber = startSubscriber()
      else if (subscribed) replay([listener]).catch(noop)
      return () => {
        listeners.delete(listener)
        if (listeners.size === 0) stopSubscriber()
      }
    },

    async close() {
      closed = true
      listeners.clear()
      stopSubscriber()
      if (!ownsClient) return
      try {
        await client.quit()
      } catch {
        client.disconnect()
      }
    },
  }
}
