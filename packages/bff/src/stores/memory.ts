/**
 * @module
 * `memoryStore()`: the default store, sessions in a `Map` of this process. It needs nothing but
 * the language, so it runs wherever the BFF does (Node, edge runtimes, Deno, Bun).
 */
/* eslint-disable @typescript-eslint/require-await --
 * The store's methods do synchronous work behind the Promise-returning `SessionStore` interface;
 * `async` is what turns a throw inside them into a rejection, as callers expect of a store. */
import { parseDuration, type Duration, type SessionUser } from '@baton/protocol'
import type { RevocationReason, SessionRotation, SessionStore, StoredSession } from './types.js'
import { byCreation, EXPIRED_SESSION_RETENTION_MS, isLive, sessionDeadline } from './types.js'
import { epochListeners, revocationListeners } from './listeners.js'
import { memoryRateLimiterBackend, sharedBackend } from '../rate-limit/backend.js'
import { memoryOidcStateStore } from '../oidc/state-store.js'
import { once } from './once.js'
import { memoryFactorStore } from '../mfa/store-memory.js'
import { sharedFactorStore } from '../mfa/types.js'

/**
 * The user as every other store gives it back: what JSON makes of it. The BFF refuses a user that
 * is not JSON all through (`assertUser`), but the store is public, and a user must come back the
 * same from every store (an `undefined` property dropped, `-0` as `0`), else an application works
 * on one and not on another. Once per session: reads copy the result as before.
 */
const jsonCopy = (user: SessionUser): SessionUser => JSON.parse(JSON.stringify(user)) as SessionUser

/**
 * A copy of a user this store holds, the same as `structuredClone` would make. Each one is itself
 * the output of {@link jsonCopy} (made in `create`): plain JSON data. Whose values are all
 * primitives, a spread copies exactly; anything nested goes through `structuredClone` again. The
 * usual `{ id, name }` user then costs no serialisation round trip on every read.
 */
function cloneStoredUser(user: SessionUser): SessionUser {
  for (const key in user) {
    const value = (user as Record<string, unknown>)[key]
    if (typeof value === 'object' && value !== null) return structuredClone(user)
  }
  return { ...user }
}

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * How often sessions past their deadlines are swept, in ms. `0` disables the timer (sweeping
   * still happens lazily on writes once the map grows).
   * @default 60_000
   */
  sweepInterval?: Duration
  /**
   * How far back a new revocation subscriber (a `requireAuth` made after a sign-out, say) hears
   * the sessions revoked, so it refuses their access tokens, as with the other stores. Keep it at
   * least the access-token lifetime. `0` replays nothing.
   * @default '15m'
   */
  revocationReplay?: Duration
  /**
   * The clock used by the background sweep and the replay window.
   * @default Date.now
   */
  now?: () => number
}

/**
 * The embedded default store: sessions in a `Map` inside this process. Right for one instance that
 * may lose its sessions on restart; use the SQLite store to survive restarts and the Redis store
 * for several instances.
 *
 * @example
 * ```ts
 * const bff = createBff({ store: memoryStore(), authenticate })
 * ```
 */
export function memoryStore(options: MemoryStoreOptions = {}): SessionStore & {
  /**
   * Removes sessions past their deadlines by more than five minutes (revoked ones, once their
   * replay window is over too); returns how many. The five minutes let a refresh just past the
   * deadline hear `401 session_expired` rather than `no_session`.
   */
  sweep(now?: number): number
  /** Number of session records held, revoked tombstones included. */
  readonly size: number
} {
  const clock = options.now ?? (() => Date.now())
  const replayMs = parseDuration(options.revocationReplay ?? '15m', 'revocationReplay')
  const sessions = new Map<string, StoredSession>()
  const byUser = new Map<string, Set<string>>()
  // DPoP proofs seen (digest → when it may be forgotten); swept with the sessions.
  const proofs = new Map<string, number>()
  const listeners = revocationListeners()
  // The epoch lives in the listener set: in one process, what they heard is what is in force.
  const epochs = epochListeners()
  let writesSinceSweep = 0

  // Records go in and out as copies, so neither side can change the other's. The only nested
  // values are the application's `user` (JSON at `create`, as every store keeps it) and
  // `amr`; the rest is copied field by field. That took ~10 µs off every refresh, and the literal
  // gives every record one shape, which keeps the copy itself fast. A field added to
  // `StoredSession` fails to compile here until it is copied.
  const copy = (
    s: StoredSession,
    cloneUser: (user: SessionUser) => SessionUser = cloneStoredUser,
  ): StoredSession => ({
    id: s.id,
    userId: s.userId,
    user: cloneUser(s.user),
    createdAt: s.createdAt,
    lastUsedAt: s.lastUsedAt,
    expiresAt: s.expiresAt,
    idleExpiresAt: s.idleExpiresAt,
    userAgent: s.userAgent,
    ip: s.ip,
    tokenKey: s.tokenKey,
    tokenHash: s.tokenHash,
    previousTokenHash: s.previousTokenHash,
    rotatedAt: s.rotatedAt,
    sealedSuccessor: s.sealedSuccessor,
    generation: s.generation,
    revokedAt: s.revokedAt,
    revokedReason: s.revokedReason,
    authTime: s.authTime,
    amr: [...s.amr],
    acr: s.acr,
    jkt: s.jkt,
  })

  const forget = (session: StoredSession) => {
    sessions.delete(session.id)
    const ids = byUser.get(session.userId)
    ids?.delete(session.id)
    if (ids?.size === 0) byUser.delete(session.userId)
  }

  /**
   * A revoked session stays within the replay window even past its deadline: its last access
   * token can outlive the idle deadline (by up to the token's lifetime), and a late subscriber
   * learns of the revocation from this record alone.
   */
  const replayable = (session: StoredSession, now: number) =>
    session.revokedAt !== null && now - session.revokedAt < replayMs

  const sweep = (now = clock()) => {
    let removed = 0
    for (const session of sessions.values()) {
      if (
        now >= sessionDeadline(session) + EXPIRED_SESSION_RETENTION_MS &&
        !replayable(session, now)
      ) {
        forget(session)
        removed++
      }
    }
    for (const [key, expiresAt] of proofs) if (now >= expiresAt) proofs.delete(key)
    writesSinceSweep = 0
    return removed
  }

  // Keeps memory bounded even with the timer disabled: a full sweep costs O(n), so it runs at most
  // once per n writes.
  const noteWrite = (now: number) => {
    if (++writesSinceSweep > Math.max(1024, sessions.size + proofs.size)) sweep(now)
  }

  const markRevoked = (session: StoredSession, reason: RevocationReason, now: number) => {
    const before = copy(session)
    session.revokedAt = now
    session.revokedReason = reason
    session.sealedSuccessor = null
    return before
  }

  const interval = parseDuration(options.sweepInterval ?? 60_000, 'sweepInterval')
  const timer = interval > 0 ? setInterval(() => sweep(), interval) : undefined
  // A store must never keep a process alive on its own.
  ;(timer as { unref?: () => void } | undefined)?.unref?.()

  return {
    get size() {
      return sessions.size
    },
    sweep,

    async create(session, now) {
      if (sessions.has(session.id)) throw new Error(`session ${session.id} already exists`)
      sessions.set(session.id, copy(session, jsonCopy))
      let ids = byUser.get(session.userId)
      if (!ids) byUser.set(session.userId, (ids = new Set()))
      ids.add(session.id)
      noteWrite(now)
    },

    async get(sessionId) {
      const session = sessions.get(sessionId)
      return session ? copy(session) : null
    },

    async rotate(sessionId, expectedTokenHash, rotation: SessionRotation, now) {
      const session = sessions.get(sessionId)
      if (!session || session.revokedAt !== null || session.tokenHash !== expectedTokenHash) {
        return false
      }
      Object.assign(session, rotation)
      // The caller's array stays the caller's.
      session.amr = [...rotation.amr]
      noteWrite(now)
      return true
    },

    async revoke(sessionId, reason, now) {
      const session = sessions.get(sessionId)
      if (!session || session.revokedAt !== null) return null
      const before = markRevoked(session, reason, now)
      listeners.notify([sessionId])
      return before
    },

    async revokeByUser(userId, reason, now) {
      const revoked: StoredSession[] = []
      for (const id of byUser.get(userId) ?? []) {
        const session = sessions.get(id)
        if (session && isLive(session, now)) revoked.push(markRevoked(session, reason, now))
      }
      listeners.notify(revoked.map((s) => s.id))
      return revoked
    },

    async listByUser(userId, now) {
      const live: StoredSession[] = []
      for (const id of byUser.get(userId) ?? []) {
        const session = sessions.get(id)
        if (session && isLive(session, now)) live.push(copy(session))
      }
      return live.sort(byCreation)
    },

    subscribeRevocations(listener) {
      const unsubscribe = listeners.subscribe(listener)
      if (replayMs > 0) {
        const since = clock() - replayMs
        const revoked = [...sessions.values()].filter(
          (session) => session.revokedAt !== null && session.revokedAt >= since,
        )
        listeners.notify(
          revoked.map((session) => session.id),
          [listener],
        )
      }
      return unsubscribe
    },

    async getRevocationEpoch() {
      return epochs.current
    },

    async raiseRevocationEpoch(epoch) {
      epochs.notify(epoch)
      return epochs.current
    },

    subscribeRevocationEpoch: (listener) => epochs.subscribe(listener),

    async rememberProof(key, expiresAt, now) {
      const held = proofs.get(key)
      if (held !== undefined && now < held) return false
      proofs.set(key, expiresAt)
      noteWrite(now)
      return true
    },

    // Rate-limit counters beside the sessions: BFFs sharing this store share one budget.
    rateLimiterBackend: sharedBackend(memoryRateLimiterBackend),

    // OpenID Connect state in this process too, on the store's clock.
    oidcStateStore: once(() => memoryOidcStateStore({ now: clock })),

    // Second factors beside the sessions (`createBff({ mfa })`).
    factorStore: sharedFactorStore(memoryFactorStore),

    async close() {
      if (timer) clearInterval(timer)
      listeners.clear()
      epochs.clear()
    },
  }
}
