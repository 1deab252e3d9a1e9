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
 *
 * The connection and its failure semantics are in `redis-connection.ts`, the revocation feed
 * (pub/sub and replay) in `redis-revocations.ts`, the Lua scripts in `redis-scripts.ts` and the
 * hash encoding in `redis-codec.ts`.
 */
import { parseDuration, type Duration } from '@baton/protocol'
import type { Redis, RedisOptions } from 'ioredis'
import { decodeSession, encodeRotation, encodeSession, pairsToRecord } from './redis-codec.js'
import { isClient, redisConnection } from './redis-connection.js'
import { revocationFeed } from './redis-revocations.js'
import { CREATE, INDEX_ADD, REVOKE, ROTATE, runScript } from './redis-scripts.js'
import type { RevocationReason, SessionStore, StoredSession } from './types.js'
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
  if (isClient(options.redis) && options.redis.isCluster) {
    // Scripts are slot-safe, but the user index and the pipelines span slots.
    throw new TypeError('redisStore: Redis Cluster clients are not supported yet')
  }

  const connection = redisConnection(options.redis, timeoutMs)
  const { client } = connection
  const call = connection.call.bind(connection)
  const keys: RedisStore['keys'] = {
    session: (sessionId) => `${prefix}{${sessionId}}:s`,
    user: (userId) => `${prefix}u:{${userId}}`,
    revoked: `${prefix}revoked`,
    channel: `${prefix}revocations`,
  }
  const revocations = revocationFeed({
    connection,
    channel: keys.channel,
    revokedKey: keys.revoked,
    replayMs,
    clock: options.now ?? (() => Date.now()),
  })

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
      if (before) await revocations.announce([before.id])
      return before
    },

    async revokeByUser(userId, reason, now) {
      const revoked = await call(async () => {
        const ids = await indexedIds(userId, now)
        const results = await Promise.all(ids.map((id) => revokeOne(id, reason, now, true)))
        return results.filter((session): session is StoredSession => session !== null)
      })
      if (revoked.length > 0) await revocations.announce(revoked.map((session) => session.id))
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

    subscribeRevocations: (listener) => revocations.subscribe(listener),

    async close() {
      revocations.close()
      await connection.close()
    },
  }
}
