/**
 * @module
 * `redisStore()`: sessions in Redis, shared by every BFF instance. Import it from
 * `@baton/bff/stores/redis`, so only applications that use it load `ioredis`.
 *
 * Key layout (`<p>` is `keyPrefix`, `baton:` by default):
 * - `<p>{<sessionId>}:s`: the session, a hash (null fields are absent). Its TTL is the session's
 *   remaining lifetime, the earlier of its idle and absolute deadlines, plus five minutes (so a
 *   refresh just past the deadline hears `session_expired`, not `no_session`), and every rotation
 *   moves it.
 *   The hash tag keeps whatever belongs to one session in one Redis Cluster slot.
 * - `<p>u:{<userId>}`: a sorted set of the user's session ids scored by their absolute deadline
 *   (for the Devices list and "log out everywhere", without `KEYS` or `SCAN`). The score never
 *   changes, so a rotation writes only the session's own key; ids whose session already ended on
 *   the idle timeout are dropped the next time the index is read. The key's TTL always covers its
 *   latest member.
 * - `<p>revoked`: recently revoked session ids scored by time (see `revocationReplay`).
 * - `<p>epoch`: the revocation epoch (epoch ms, `bff.admin.revokeAll()`), without a TTL.
 * - `<p>dpop:<digest>`: a DPoP proof seen (the replay cache), `SET NX PX` until the proof could no
 *   longer be fresh; one key per proof, so it needs no hash tag on a cluster.
 * - channel `<p>revocations`: one message per revoking call, `{"o": origin, "ids": [...]}`.
 * - `<p>rl:<budget>:<key>`: rate-limit counters (`rate-limiter-flexible`), each expiring with its
 *   window, shared by every instance.
 *
 * Every script touches one key, so each runs in one slot and the store works unchanged on Redis
 * Cluster (`{ cluster: nodes }`, or a `Cluster` client). What spans slots is never a script:
 * reading a user's sessions (one read per session key) and `revokeByUser` (one atomic revocation
 * per session, listed from the user's index). Tested with Redis 7, standalone, under Sentinel
 * (ioredis `sentinels` options) and as a 3-master cluster.
 *
 * The session operations (the session hashes and the user indexes) are in `redis-sessions.ts`, the
 * connection and its failure semantics in `redis-connection.ts`, the revocation feed (pub/sub and
 * replay) in `redis-revocations.ts`, the Lua scripts in `redis-scripts.ts` and the hash encoding in
 * `redis-codec.ts`.
 */
import { parseDuration, type Duration } from '@baton/protocol'
import { sharedBackend } from '../rate-limit/backend.js'
import { redisRateLimiterBackend } from '../rate-limit/redis-backend.js'
import {
  redisConnection,
  replicationCheck,
  type RedisClient,
  type RedisSource,
} from './redis-connection.js'
import { DEFAULT_HEARTBEAT_MS } from './redis-heartbeat.js'
import { revocationFeed } from './redis-revocations.js'
import { redisSessions } from './redis-sessions.js'
import { redisOidcStateStore } from '../oidc/redis-state-store.js'
import { guardedOidcStateStore } from '../oidc/state-store.js'
import { once } from './once.js'
import { RAISE_EPOCH, runScript } from './redis-scripts.js'
import { EXPIRED_SESSION_RETENTION_MS, type SessionStore } from './types.js'
import { redisFactorStore } from '../mfa/store-redis.js'
import { sharedFactorStore } from '../mfa/types.js'

const DEFAULT_REPLAY = '15m'
const DEFAULT_REPLAY_MS = parseDuration(DEFAULT_REPLAY, 'revocationReplay')

export type { RedisClient, RedisClusterConfig, RedisSource } from './redis-connection.js'

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * The connection: an ioredis client (`Redis` or `Cluster`), ioredis options (with `sentinels`
   * and `name` for a Sentinel-managed primary), `{ cluster: [{ host, port }, …], options? }` for
   * a Redis Cluster, or a URL such as `redis://:password@host:6379/0`.
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
  redis: RedisSource
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
  /**
   * For a primary with replicas (Sentinel): every write of sessions and second factors (sign-in,
   * rotation, revocation, epoch, factors, recovery codes, tickets) waits until `replicas` replicas
   * have it (Redis `WAIT`, at most `timeout`), and answers 503 `store_unavailable` when fewer
   * acknowledged it. Redis replicates asynchronously, so without
   * this a failover can lose the writes of the last moments before it: a lost rotation brings the
   * previous refresh token back (the next refresh then looks like reuse and ends the session), a
   * lost revocation brings a session back. With it, a write the BFF reported is on a replica
   * before the browser hears of it; the cost is one replication round trip per write. See the
   * README's Sentinel section for the measured difference. Not for Redis Cluster (refused), whose
   * `WAIT` would reach another node than the write.
   * @default undefined (no waiting)
   */
  waitForReplicas?: { replicas: number; timeout?: Duration }
  /**
   * @internal How often the revocation subscriber's connection, and a command connection the store
   * created, are pinged (30 s by default; see `redis-heartbeat.ts`); tests shorten it.
   */
  heartbeat?: Duration
  /**
   * @internal How long a session's hash outlives its deadline (`EXPIRED_SESSION_RETENTION_MS`, 5
   * minutes, by default); tests that wait for a key to expire shorten it.
   */
  expiredRetention?: Duration
}

/** The Redis store: a {@link SessionStore} plus what operations and tests need to look at it. */
export interface RedisStore extends SessionStore {
  /** The command connection (the one passed in, or the one the store created). */
  readonly client: RedisClient
  /** The names of the store's keys and channel. */
  readonly keys: {
    session(sessionId: string): string
    user(userId: string): string
    readonly revoked: string
    readonly epoch: string
    readonly channel: string
    proof(digest: string): string
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
 * recently revoked sessions. Delivery may repeat an id; listeners must be idempotent. A revocation
 * whose reply was lost after Redis applied it (a timeout) still answers 503, but is announced all
 * the same, once the session's hash shows it revoked; a retry within `revocationReplay` announces
 * it again.
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
  const replayMs = parseDuration(options.revocationReplay ?? DEFAULT_REPLAY, 'revocationReplay')
  const timeoutMs = parseDuration(options.timeout ?? '2s', 'timeout')
  if (timeoutMs <= 0) throw new TypeError('redisStore: timeout must be positive')

  const heartbeatMs = parseDuration(options.heartbeat ?? DEFAULT_HEARTBEAT_MS, 'heartbeat')
  const connection = redisConnection(options.redis, timeoutMs, heartbeatMs)
  const { client } = connection
  const call = connection.call.bind(connection)
  const replicated = replicationCheck(client, options.waitForReplicas)
  const keys: RedisStore['keys'] = {
    session: (sessionId) => `${prefix}{${sessionId}}:s`,
    user: (userId) => `${prefix}u:{${userId}}`,
    revoked: `${prefix}revoked`,
    epoch: `${prefix}epoch`,
    channel: `${prefix}revocations`,
    proof: (digest) => `${prefix}dpop:${digest}`,
  }
  const revocations = revocationFeed({
    connection,
    channel: keys.channel,
    revokedKey: keys.revoked,
    epochKey: keys.epoch,
    replayMs,
    clock: options.now ?? (() => Date.now()),
    heartbeatMs,
    heartbeatTimeoutMs: timeoutMs,
  })

  return {
    client,
    keys,

    ...redisSessions({
      connection,
      keys,
      replicated,
      announce: (ids) => revocations.announce(ids),
      reannounceMs: replayMs > 0 ? replayMs : DEFAULT_REPLAY_MS,
      retentionMs: parseDuration(
        options.expiredRetention ?? EXPIRED_SESSION_RETENTION_MS,
        'expiredRetention',
      ),
    }),

    subscribeRevocations: (listener) => revocations.subscribe(listener),

    async getRevocationEpoch() {
      const stored = await call(() => client.get(keys.epoch))
      return stored === null ? 0 : Number(stored)
    },

    // Announced before the replica wait, like a revocation: the primary has the epoch, so a 503
    // from the wait must not keep other instances from hearing of it (a caller that does not retry
    // would leave them accepting older access tokens).
    async raiseRevocationEpoch(epoch) {
      return call(async () => {
        const current = Number(await runScript(client, RAISE_EPOCH, [keys.epoch], [String(epoch)]))
        await revocations.announceEpoch(current)
        await replicated()
        return current
      })
    },

    subscribeRevocationEpoch: (listener) => revocations.subscribeEpoch(listener),

    async rememberProof(key, expiresAt, now) {
      const ttl = Math.max(1, Math.ceil(expiresAt - now))
      const set = await call(() => client.set(keys.proof(key), '1', 'PX', ttl, 'NX'))
      return set === 'OK'
    },

    // Rate-limit counters on this Redis, under `<p>rl:`: every instance shares one budget.
    rateLimiterBackend: sharedBackend(() => redisRateLimiterBackend(connection, prefix)),

    // OpenID Connect state on this Redis, under `<p>oidc:`, through the store's connection guard.
    oidcStateStore: once(() =>
      guardedOidcStateStore(
        redisOidcStateStore({ redis: client, keyPrefix: `${prefix}oidc:` }),
        call,
      ),
    ),

    // Second factors under `<p>mfa:`, hash-tagged by user (`mfa/store-redis.ts`).
    factorStore: sharedFactorStore(() => redisFactorStore(connection, prefix, replicated)),

    async close() {
      revocations.close()
      await connection.close()
    },
  }
}
