/**
 * @module
 * The `SessionStore` contract. A store is the only place session state lives, so any store that
 * passes the shared contract suite (`test/store-contract.ts`) is a drop-in replacement.
 *
 * Stores hold data and offer one atomic primitive, {@link SessionStore.rotate} (compare-and-set on
 * the current refresh-token hash). The rotation protocol itself (grace window, reuse detection,
 * timeouts) lives once, in the BFF, so every store behaves the same under concurrency.
 */
import type { SessionUser } from '@baton/protocol'
import type { OidcStateStore } from '../oidc/state-store.js'
import type { RateLimiterBackend } from '../rate-limit/backend.js'
import type { FactorStore } from '../mfa/types.js'

/**
 * Every {@link RevocationReason}: the user's own sign-out (`logout`, `logout_everywhere`), a
 * revocation from another session or by the application (`revoked`), theft (`reuse_detected`), a
 * deadline (`expired`), a new sign-in in the same browser (`replaced`), and a user the
 * application no longer accepts (`user_invalid`: `validateSession` refused, or `admin.revokeUser`),
 * the oldest session ended by a login past `maxSessionsPerUser` (`session_limit`), a request
 * unlike the session's own whose anomaly action is `revoke` (`anomaly`), and a valid DPoP proof
 * signed by another key than the one the session is bound to (`binding_mismatch`: the refresh
 * cookie left its browser), and the OpenID provider ending its own session through back-channel
 * logout (`provider_logout`, `@baton/bff/oidc`).
 */
export const REVOCATION_REASONS = [
  'logout',
  'logout_everywhere',
  'revoked',
  'reuse_detected',
  'expired',
  'replaced',
  'user_invalid',
  'session_limit',
  'anomaly',
  'binding_mismatch',
  'provider_logout',
] as const

/** Why a session stopped being usable. */
export type RevocationReason = (typeof REVOCATION_REASONS)[number]

/**
 * One session (one refresh-token family). Refresh tokens are never stored: only SHA-256 hashes of
 * the current and the immediately previous token, plus the current token masked with a key that
 * only the previous token can derive, so a duplicate refresh inside the grace window gets the very
 * same successor.
 */
export interface StoredSession {
  id: string
  userId: string
  user: SessionUser
  /** Epoch ms. */
  createdAt: number
  /** Epoch ms of the last login or refresh. */
  lastUsedAt: number
  /** Absolute deadline (epoch ms): the session ends here whatever happens. */
  expiresAt: number
  /**
   * Idle deadline (epoch ms): the idle timeout after the last login or activity refresh. A refresh
   * without the activity header rotates the token but leaves this deadline where it was.
   */
  idleExpiresAt: number
  userAgent: string | null
  ip: string | null
  /** Per-session HMAC key (base64url) that authenticates tokens of this family. */
  tokenKey: string
  /** SHA-256 (base64url) of the one currently valid refresh token. */
  tokenHash: string
  /** SHA-256 of the token that `tokenHash` replaced; honoured only inside the grace window. */
  previousTokenHash: string | null
  /** Epoch ms of the last rotation. */
  rotatedAt: number | null
  /**
   * The current token masked with HMAC-SHA-512 keyed by the previous token's secret (a one-time
   * pad, see `tokens/refresh.ts`); only a holder of the previous token can unmask it.
   */
  sealedSuccessor: string | null
  /** Number of rotations so far. */
  generation: number
  revokedAt: number | null
  revokedReason: RevocationReason | null
  /**
   * Epoch ms of the last proof of credentials in this session: the login, or the latest
   * `POST /reauthenticate`. Access tokens carry it as `auth_time` (RFC 9470 step-up). `0` means
   * "never proven": it fails every `maxAge`, so a rotation writing `0` forces a step-up at the
   * next sensitive request. Records written before this field existed read it as `createdAt`.
   */
  authTime: number
  /**
   * Authentication methods of that proof (RFC 8176 values, e.g. `['pwd']`); access tokens carry
   * them as `amr`. Older records read `['pwd']`, the only method that existed then.
   */
  amr: string[]
  /** Authentication context class of that proof, if known; access tokens carry it as `acr`. */
  acr: string | null
  /**
   * The RFC 7638 thumbprint of the browser key the session is bound to (DPoP, RFC 9449), set at
   * login and never changed; `null` for an unbound session. Every refresh, logout and step-up of
   * a bound session must carry a proof signed by that key, and its access tokens carry it as
   * `cnf.jkt`. Records written before binding existed read `null`.
   */
  jkt: string | null
}

/** What a successful rotation writes. */
export type SessionRotation = Pick<
  StoredSession,
  | 'tokenHash'
  | 'previousTokenHash'
  | 'rotatedAt'
  | 'sealedSuccessor'
  | 'generation'
  | 'lastUsedAt'
  | 'idleExpiresAt'
  | 'ip'
  | 'userAgent'
  | 'authTime'
  | 'amr'
  | 'acr'
>

/** Receives the ids of sessions revoked anywhere (this process or, for shared stores, any other). */
export type RevocationListener = (sessionIds: readonly string[]) => void

/**
 * Receives the revocation epoch (epoch ms, see {@link SessionStore.raiseRevocationEpoch}) whenever
 * it is raised anywhere, and once on subscribing when one is set.
 */
export type EpochListener = (epoch: number) => void

/**
 * Where sessions live. Every method is async; a store that cannot reach its backend throws the
 * error made by `storeUnavailable(cause)` (HTTP 503 `store_unavailable`).
 *
 * Deadlines are absolute epoch-ms values inside the record; methods that write also receive `now`
 * so a store can turn deadlines into TTLs relative to the same clock the BFF uses.
 */
export interface SessionStore {
  /** Adds a new session. Ids are random, so a collision is a bug and may throw. */
  create(session: StoredSession, now: number): Promise<void>
  /**
   * The session with this id, including revoked ones still inside their deadlines (so refresh can
   * answer `session_revoked` rather than `session_expired`), or `null`.
   */
  get(sessionId: string): Promise<StoredSession | null>
  /**
   * Atomically applies `rotation` if, and only if, the session exists, is not revoked and its
   * current `tokenHash` equals `expectedTokenHash`. Returns whether it did. Never read-then-write.
   */
  rotate(
    sessionId: string,
    expectedTokenHash: string,
    rotation: SessionRotation,
    now: number,
  ): Promise<boolean>
  /**
   * Marks the session revoked. Returns the session as it was if this call revoked it, `null` if it
   * did not exist or was already revoked. Notifies revocation listeners.
   */
  revoke(sessionId: string, reason: RevocationReason, now: number): Promise<StoredSession | null>
  /** Revokes every live session of `userId`; returns the ones this call revoked. */
  revokeByUser(userId: string, reason: RevocationReason, now: number): Promise<StoredSession[]>
  /** The user's live sessions (not revoked, before both deadlines), oldest first. */
  listByUser(userId: string, now: number): Promise<StoredSession[]>
  /**
   * Subscribes to revocations made through any BFF sharing this store; used by
   * `requireAuth({ checkRevoked })` to refuse access tokens of revoked sessions before they expire.
   * Returns an unsubscribe function.
   */
  subscribeRevocations(listener: RevocationListener): () => void
  /**
   * The revocation epoch (epoch ms): every session created before it is over, and every access
   * token issued before it is refused. `0` when none was ever set. Read on every refresh.
   */
  getRevocationEpoch(): Promise<number>
  /**
   * Raises the revocation epoch to `epoch` unless it is already later (it never moves back), and
   * tells every epoch subscriber of every BFF sharing this store. Returns the epoch now in force.
   * This is `bff.admin.revokeAll()`: one write, whatever the number of sessions.
   */
  raiseRevocationEpoch(epoch: number): Promise<number>
  /**
   * Subscribes to the revocation epoch, like {@link SessionStore.subscribeRevocations}; a
   * subscriber also receives the epoch in force when one is set (at once for an embedded store,
   * as soon as the feed is connected for a shared one). Returns an unsubscribe function.
   */
  subscribeRevocationEpoch(listener: EpochListener): () => void
  /**
   * Where the BFF keeps its rate-limit counters ({@link RateLimiterBackend}): next to the sessions,
   * so every instance sharing this store shares one budget. A store without it gets counters in
   * the BFF's process, with a warning at start-up.
   */
  rateLimiterBackend?(): RateLimiterBackend
  /**
   * The DPoP replay cache (RFC 9449 §11.1): remembers `key` (a digest of a proof's key and `jti`)
   * until `expiresAt` (epoch ms), atomically, set-if-absent. Resolves `true` when the key was not
   * held (the proof is new), `false` when it was (a replay). Kept beside the sessions so that a
   * proof used at one instance is refused at every other. A store without it gets a cache in the
   * BFF's process, with a warning at start-up. Every built-in store has it.
   */
  rememberProof?(key: string, expiresAt: number, now: number): Promise<boolean>
  /**
   * Where second factors live ({@link FactorStore}: TOTP secrets sealed, passkeys, recovery-code
   * hashes, sign-in tickets and WebAuthn challenges), on the same backend as the sessions. Needed
   * by `createBff({ mfa })`; every built-in store has it.
   */
  factorStore?(): FactorStore
  /**
   * Where OpenID Connect sign-in (`@baton/bff/oidc`) keeps its transactions, logout-token `jti`s,
   * encrypted upstream tokens and refresh leases ({@link OidcStateStore}): next to the sessions,
   * so every instance sharing this store shares them too, and `oidcLogin()` needs no `stateStore`
   * of its own. Made on the first call, then the same one. Every built-in store has it; a store
   * without it gets one in the BFF's process, with a warning at start-up.
   */
  oidcStateStore?(): OidcStateStore
  /** Releases connections and timers. */
  close(): Promise<void>
}

/** @internal True for a {@link RevocationReason}, for stores that read one back from storage. */
export const isRevocationReason = (value: string): value is RevocationReason =>
  (REVOCATION_REASONS as readonly string[]).includes(value)

/** @internal The order of `listByUser`: oldest first, ties by id, the same in every store. */
export const byCreation = (a: StoredSession, b: StoredSession) =>
  a.createdAt - b.createdAt || a.id.localeCompare(b.id)

/**
 * The time after which a session can be forgotten: the earlier of its two deadlines.
 *
 * @example
 * ```ts
 * await redis.pexpire(key, sessionDeadline(session) - now) // the key dies with the session
 * ```
 */
export const sessionDeadline = (session: Pick<StoredSession, 'expiresAt' | 'idleExpiresAt'>) =>
  Math.min(session.expiresAt, session.idleExpiresAt)

/**
 * True while a session may be refreshed or listed: not revoked, and before both deadlines.
 *
 * @example
 * ```ts
 * const live = sessions.filter((session) => isLive(session, Date.now()))
 * ```
 */
export const isLive = (session: StoredSession, now: number) =>
  session.revokedAt === null && now < sessionDeadline(session)

/**
 * How long every built-in store keeps a session's record past its deadline: 5 minutes, the
 * default access-token lifetime. A refresh a second after the idle deadline (the client's, once
 * its tab stopped refreshing; or a backgrounded tab's, whose timers the browser delays) must find
 * the record to answer `401 session_expired`, emit the `expired` event and announce the
 * revocation; without it, the answer is `no_session` and nothing is told. Such a record is past
 * its deadline: no list, refresh or revocation of live sessions counts it.
 * @internal
 */
export const EXPIRED_SESSION_RETENTION_MS = 5 * 60_000
