/**
 * @module
 * The Redis store's session operations: sign-in, read, rotation, revocation and the Devices list,
 * on each session's own hash (`<p>{<sessionId>}:s`) and the user's index (`<p>u:{<userId>}`). Every
 * write is one single-key Lua script, so it is atomic across instances and stays in one slot on a
 * Redis Cluster; what spans sessions (a user's list, `revokeByUser`) is one script per session.
 * @internal
 */
import { decodeSession, encodeRotation, encodeSession, pairsToRecord } from './redis-codec.js'
import { readHashes, type RedisConnection } from './redis-connection.js'
import { CREATE, INDEX_ADD, REVOKE, ROTATE, runScript } from './redis-scripts.js'
import type { RevocationReason, StoredSession } from './types.js'
import type { SessionOperations } from './session-operations.js'
import { byCreation, isLive, sessionDeadline } from './types.js'

/** What the revocation of a session some earlier call revoked answers. */
interface RevokedAlready {
  revokedAt: number
}
const isRevokedAlready = (value: unknown): value is RevokedAlready =>
  typeof value === 'object' && value !== null && 'revokedAt' in value && !('id' in value)

/** @internal What the session operations work with. */
export interface RedisSessionsContext {
  /** The store's connection: its client, and `call`, the guard around every operation. */
  connection: RedisConnection
  /** The keys of a session's hash and of a user's index. */
  keys: { session(sessionId: string): string; user(userId: string): string }
  /** Resolves once the writes so far are on the replicas `waitForReplicas` asks for. */
  replicated: () => Promise<void>
  /** Tells every instance that these sessions were revoked. */
  announce: (ids: readonly string[]) => Promise<void>
  /**
   * How long after its revocation a session found revoked already is announced again (the replay
   * window): past it, its access tokens have expired and the announcement would only be noise.
   */
  reannounceMs: number
  /** How long a session's hash outlives its deadline (`EXPIRED_SESSION_RETENTION_MS`). */
  retentionMs: number
}

/** @internal The session operations of the Redis store. */
export function redisSessions({
  connection,
  keys,
  replicated,
  announce,
  reannounceMs,
  retentionMs,
}: RedisSessionsContext): SessionOperations {
  const { client } = connection
  const call = connection.call.bind(connection)

  /** The session as it was when this call revoked it, when some call did, or null (none). */
  const revokeOne = async (
    sessionId: string,
    reason: RevocationReason,
    now: number,
    onlyLive: boolean,
  ): Promise<StoredSession | RevokedAlready | null> => {
    const before = await runScript(
      client,
      REVOKE,
      [keys.session(sessionId)],
      [now, reason, onlyLive ? '1' : '0'],
    )
    if (typeof before === 'number') return { revokedAt: before }
    return before === null ? null : decodeSession(pairsToRecord(before))
  }

  // Only a recent revocation can be one whose reply was lost and whose retry this is. Announcing
  // every tombstone still indexed would publish all of a user's past revocations at each "sign
  // out everywhere".
  const worthAnnouncingAgain = (revoked: RevokedAlready, now: number) =>
    now - revoked.revokedAt < reannounceMs

  /**
   * After a revocation whose reply was lost (a timeout, a dropped connection): Redis may have
   * applied it. Many callers never retry (a logout answered 503 still clears the cookie; reuse
   * detection ends the family and moves on), so the ids it applied to are announced now, read
   * back from their hashes, rather than left for a retry that may not come. Best effort: when the
   * read fails too, Redis is away, and the caller's 503 stands.
   */
  const announceApplied = async (ids: readonly string[], now: number) => {
    try {
      const revokedAts = await Promise.all(
        ids.map((id) => client.hget(keys.session(id), 'revokedAt')),
      )
      const applied = ids.filter((_, i) => {
        const revokedAt = revokedAts[i]
        return revokedAt != null && worthAnnouncingAgain({ revokedAt: Number(revokedAt) }, now)
      })
      if (applied.length > 0) await announce(applied)
    } catch {
      // The store is unreachable: nothing can be read, and the original failure is reported.
    }
  }

  const readSessions = (ids: readonly string[]) =>
    readHashes(
      client,
      ids.map((id) => keys.session(id)),
    )

  /** The user's indexed ids whose absolute deadline is still ahead. */
  const indexedIds = (userId: string, now: number) =>
    client.zrangebyscore(keys.user(userId), `(${now}`, '+inf')

  return {
    async create(session, now) {
      const created = await call(async () => {
        // The session first, then its index entry. The other order raced: a concurrent reader
        // of the index (the session limit and the anomaly checks list a user's sessions at every
        // sign-in) found an entry without its session yet and dropped it as expired, and "log
        // out everywhere" then missed that session. In this order an indexed id without a session
        // is always one that has ended. If the index write fails, the sign-in fails (503) and
        // its session, whose cookie nobody received, expires unused.
        const ttl = Math.max(1, Math.ceil(sessionDeadline(session) + retentionMs - now))
        const result = await runScript(
          client,
          CREATE,
          [keys.session(session.id)],
          [ttl, ...encodeSession(session)],
        )
        if (result === 1 && session.expiresAt > now) {
          await runScript(
            client,
            INDEX_ADD,
            [keys.user(session.userId)],
            [now, session.expiresAt, session.id],
          )
        }
        await replicated()
        return result
      })
      if (created !== 1) throw new Error(`session ${session.id} already exists`)
    },

    async get(sessionId) {
      return call(async () => decodeSession(await client.hgetall(keys.session(sessionId))))
    },

    async rotate(sessionId, expectedTokenHash, rotation, now) {
      const { set, unset, trim } = encodeRotation(rotation)
      const rotated = await call(async () => {
        const result = await runScript(
          client,
          ROTATE,
          [keys.session(sessionId)],
          [
            expectedTokenHash,
            now,
            retentionMs,
            set.length / 2,
            unset.length,
            ...set,
            ...unset,
            ...trim,
          ],
        )
        // A 503 after the rotation is safe: the browser retries with the cookie it has, which is
        // now the previous one, and gets the same successor from the grace window.
        if (result === 1) await replicated()
        return result
      })
      return rotated === 1
    },

    // A revocation is announced as soon as the script applied it, before the replica wait: once
    // the primary has it, every reader sees the session revoked, and a failed wait (503) would
    // otherwise leave it unannounced for good. An announcement of a write the replicas then lose
    // only makes checks stricter. A session revoked already is announced again: the call that
    // revoked it may have lost its reply (a timeout, a dropped connection) after Redis applied
    // it, and announced nothing; its retry lands here. Listeners take a repeated id in their stride.
    // Only within the replay window: an older one was announced long ago, or its tokens are gone.
    async revoke(sessionId, reason, now) {
      return call(async () => {
        const before = await revokeOne(sessionId, reason, now, false).catch(async (error) => {
          await announceApplied([sessionId], now)
          throw error
        })
        if (isRevokedAlready(before)) {
          if (worthAnnouncingAgain(before, now)) await announce([sessionId])
          return null
        }
        if (before) {
          await announce([before.id])
          await replicated()
        }
        return before
      })
    },

    async revokeByUser(userId, reason, now) {
      return call(async () => {
        const ids = await indexedIds(userId, now)
        // Settled, not all: the sessions revoked before one script failed are announced all the
        // same. Those revoked recently are announced again, as in `revoke`: this may be the retry
        // of a call whose scripts applied but whose replies were lost.
        const results = await Promise.allSettled(ids.map((id) => revokeOne(id, reason, now, true)))
        const revoked: StoredSession[] = []
        const again: string[] = []
        results.forEach((result, i) => {
          if (result.status !== 'fulfilled' || result.value === null) return
          if (!isRevokedAlready(result.value)) revoked.push(result.value)
          else if (worthAnnouncingAgain(result.value, now)) again.push(ids[i]!)
        })
        const announced = [...revoked.map((session) => session.id), ...again]
        if (announced.length > 0) await announce(announced)
        const failed = results.find((result) => result.status === 'rejected')
        if (failed) {
          await announceApplied(
            ids.filter((_, i) => results[i]!.status === 'rejected'),
            now,
          )
          throw failed.reason
        }
        if (revoked.length > 0) await replicated()
        return revoked
      })
    },

    async listByUser(userId, now) {
      return call(async () => {
        const ids = await indexedIds(userId, now)
        if (ids.length === 0) return []
        const replies = await readSessions(ids)
        const live: StoredSession[] = []
        const gone: string[] = []
        replies.forEach((fields, i) => {
          const session = decodeSession(pairsToRecord(fields))
          if (!session) gone.push(ids[i]!)
          else if (isLive(session, now)) live.push(session)
        })
        // Sessions that ended on their idle deadline: their keys expired, their ids stay here.
        if (gone.length > 0) await client.zrem(keys.user(userId), ...gone)
        return live.sort(byCreation)
      })
    },
  }
}
