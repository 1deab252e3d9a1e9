/**
 * @module
 * Audit events emitted through `onEvent`. Every security-relevant transition of a session is one
 * event, so reuse alarms (true theft or a false alarm from a lost response) can be counted.
 */
import type { ErrorCode } from '@baton/protocol'
import type { OidcLoginFailedEvent, ProviderLogoutEvent } from './oidc/events.js'
import type { RateLimitedEvent } from './rate-limit/events.js'
import type { AnomalyAction, AnomalySignal } from './anomaly/types.js'
import type {
  FactorAddedEvent,
  FactorRemovedEvent,
  MfaChallengedEvent,
  MfaFailedEvent,
} from './mfa/events.js'
import type { RevocationReason, StoredSession } from './stores/types.js'

/** @internal The fields of every event: when, and the request's client. */
export interface EventBase {
  /** Epoch ms. */
  at: number
  ip: string | null
  userAgent: string | null
}

interface SessionEventBase extends EventBase {
  sessionId: string
  userId: string
}

/** A session was created by a successful login. */
export interface LoginEvent extends SessionEventBase {
  type: 'login'
}

/** `authenticate` refused the credentials. */
export interface LoginFailedEvent extends EventBase {
  type: 'login_failed'
  username: string
}

/** A refresh succeeded. `duplicate` is true when it was served from the grace window. */
export interface RefreshEvent extends SessionEventBase {
  type: 'refresh'
  generation: number
  duplicate: boolean
}

/** The session's owner logged out (`everywhere`: all of the user's sessions). */
export interface LogoutEvent extends SessionEventBase {
  type: 'logout'
  everywhere: boolean
}

/**
 * `POST /logout` passed the CSRF check but did not end the session its cookie names: the store was
 * unreachable, the body was malformed, the address was over its logout budget (`rate_limited`),
 * something failed. The browser dropped its cookie anyway
 * (logout always clears it), so nobody can use the session from there, but the session itself is
 * still live on the server until its deadlines: revoke it (`bff.admin.revokeSession(sessionId)`,
 * or `revokeUser` when `everywhere` was asked) once the cause is gone.
 */
export interface LogoutFailedEvent extends EventBase {
  type: 'logout_failed'
  /**
   * The session the refresh cookie names. Proven when `userId` is set; when the store could not be
   * asked, only what the cookie claims.
   */
  sessionId: string
  /** The session's user, when the cookie was proven to be one the BFF minted; else `null`. */
  userId: string | null
  /** Whether the request asked to end every session of the user; `null` if its body was unreadable. */
  everywhere: boolean | null
  /** The `error.code` the logout answered with. */
  reason: ErrorCode
}

/**
 * A request to login, refresh or logout carried the refresh cookie's name more than once, which a
 * browser only does when some other Domain or Path set a second cookie of that name (cookie
 * tossing from a sibling subdomain, or a script on this origin). The BFF answered
 * `401 no_session` and cleared its own cookie instead of picking one.
 */
export interface CookieConflictEvent extends EventBase {
  type: 'cookie_conflict'
  route: 'login' | 'refresh' | 'logout' | 'reauthenticate'
  /** How many cookies of that name the request carried. */
  count: number
  /**
   * The session ids those cookies name, without duplicates, as they claim them: unverified, since
   * one of them was planted. On logout, the owner's session is among them and still live.
   */
  sessionIds: string[]
}

/**
 * Why a request to login, refresh or logout failed the CSRF check (see {@link CsrfFailedEvent}):
 * - `header_missing`: no `X-CSRF: 1` header (a form post, a hand-written `fetch`).
 * - `origin_not_allowed`: an `Origin` outside `allowedOrigins` (by default, the BFF's own origin).
 * - `cross_site`: no `Origin`, and `Sec-Fetch-Site` other than `same-origin`.
 * - `origin_missing`: neither `Origin` nor `Sec-Fetch-Site` (not a browser, or a very old one).
 *
 * @example
 * ```ts
 * const hint: Record<CsrfFailureReason, string> = {
 *   header_missing: 'send X-CSRF: 1',
 *   origin_not_allowed: 'add the origin to allowedOrigins',
 *   cross_site: 'call from an allowed origin',
 *   origin_missing: 'call from a browser',
 * }
 * ```
 */
export type CsrfFailureReason =
  'header_missing' | 'origin_not_allowed' | 'cross_site' | 'origin_missing'

/**
 * A request to login, refresh or logout was refused with `403 csrf_failed`; nothing else
 * happened (no cookie read, set or cleared). The 403 body gives the reason in fixed words and
 * never repeats the request's headers; this event carries them, for the server's log: the usual
 * cause is an SPA served from an origin missing from `allowedOrigins`. Cross-site attacks land
 * here too, so count these rather than alert on each.
 *
 * @example
 * ```ts
 * createBff({
 *   authenticate,
 *   onEvent(event) {
 *     if (event.type === 'csrf_failed' && event.reason === 'origin_not_allowed') {
 *       log.warn(`${event.route}: Origin ${event.origin} is not in allowedOrigins`)
 *     }
 *   },
 * })
 * ```
 */
export interface CsrfFailedEvent extends EventBase {
  type: 'csrf_failed'
  route: 'login' | 'refresh' | 'logout' | 'reauthenticate'
  reason: CsrfFailureReason
  /** The request's `Origin` header as sent (at most 512 characters), or `null` without one. */
  origin: string | null
  /** The request's `Sec-Fetch-Site` header as sent (at most 512 characters), or `null`. */
  secFetchSite: string | null
}

/**
 * A session was revoked: by its user from another session (`revoked`), by "everywhere", for theft,
 * by a new sign-in in the same browser (`replaced`), or because the application no longer accepts
 * its user (`user_invalid`, from `validateSession` or `bff.admin`).
 */
export interface RevokedEvent extends SessionEventBase {
  type: 'revoked'
  reason: RevocationReason
}

/**
 * An already-rotated refresh token was presented after the grace window: the whole session was
 * revoked (RFC 9700 §4.14.2).
 */
export interface ReuseDetectedEvent extends SessionEventBase {
  type: 'reuse_detected'
  /** The session's generation when the stale token came back. */
  generation: number
}

/** A refresh arrived after the idle or the absolute timeout. */
export interface ExpiredEvent extends SessionEventBase {
  type: 'expired'
  reason: 'idle' | 'absolute'
}

/**
 * The user of a session proved who they are again (`POST /reauthenticate`, RFC 9470 step-up): the
 * session's `authTime` is now `at`, and its refresh token was rotated.
 */
export interface ReauthenticatedEvent extends SessionEventBase {
  type: 'reauthenticated'
  /** How (RFC 8176), e.g. `['pwd']`. */
  amr: string[]
}

/**
 * `POST /reauthenticate` was refused: `authenticate` refused the credentials
 * (`invalid_credentials`), or accepted them for another user than the session's (`user_mismatch`:
 * someone holding this session tried someone else's password). Count these like `login_failed`.
 */
export interface ReauthenticateFailedEvent extends SessionEventBase {
  type: 'reauthenticate_failed'
  reason: 'invalid_credentials' | 'user_mismatch'
  /** The username the request gave. */
  username: string
}

/**
 * A login found the user at `maxSessionsPerUser`: it was refused (`409 session_limit`), or the
 * oldest sessions were ended to make room (each also reported as `revoked`, reason
 * `session_limit`). `sessionId` is the new session, or `null` when the login was refused.
 */
export interface SessionLimitEvent extends EventBase {
  type: 'session_limit'
  userId: string
  sessionId: string | null
  action: 'evict_oldest' | 'refuse'
  limit: number
  /** The sessions ended to make room (empty when refused). */
  evicted: string[]
}

/**
 * `bff.admin.revokeAll()`: every session created, and every access token issued, before `epoch`
 * (epoch ms, a whole second) is over, on every instance sharing the store. One event, not one per
 * session: nothing was scanned.
 */
export interface RevokedAllEvent extends EventBase {
  type: 'revoked_all'
  epoch: number
}

/**
 * A sign-in or a refresh did not look like the session's owner (see the `anomalies` option):
 * `signals` says what was seen, each with its configured action, and `action` what was done, the
 * most severe of them (never `ignore`, which emits nothing). `ip` and `userAgent` are the
 * request's; the session's previous ones are in the signals. At sign-in, `sessionId` is the new
 * session's (never stored when the action is `revoke`).
 *
 * @example
 * ```ts
 * onEvent(event) {
 *   if (event.type === 'anomaly_detected' && event.action !== 'log') alert(event)
 * }
 * ```
 */
export interface AnomalyDetectedEvent extends SessionEventBase {
  type: 'anomaly_detected'
  phase: 'login' | 'refresh'
  signals: AnomalySignal[]
  action: Exclude<AnomalyAction, 'ignore'>
}

/**
 * A valid DPoP proof signed by another key than the one the session is bound to came with its
 * refresh cookie: the cookie was copied out of its browser (whose key never leaves it). The
 * session was revoked (a `revoked` event, reason `binding_mismatch`, follows) and the request
 * answered `401 session_revoked`.
 */
export interface BindingMismatchEvent extends SessionEventBase {
  type: 'binding_mismatch'
  route: 'refresh' | 'logout'
  /** The thumbprint (RFC 7638) of the key the session is bound to. */
  jkt: string
  /** The thumbprint of the key that signed the proof. */
  presentedJkt: string
}

/** Any event passed to `onEvent`; switch on `type`. */
export type BffEvent =
  | BindingMismatchEvent
  | LoginEvent
  | LoginFailedEvent
  | RefreshEvent
  | LogoutEvent
  | LogoutFailedEvent
  | CookieConflictEvent
  | CsrfFailedEvent
  | RevokedEvent
  | ReuseDetectedEvent
  | ExpiredEvent
  | ReauthenticatedEvent
  | ReauthenticateFailedEvent
  | SessionLimitEvent
  | RevokedAllEvent
  | RateLimitedEvent
  | AnomalyDetectedEvent
  | OidcLoginFailedEvent
  | ProviderLogoutEvent
  | FactorAddedEvent
  | FactorRemovedEvent
  | MfaChallengedEvent
  | MfaFailedEvent

/** The `type` of a {@link BffEvent}. */
export type BffEventType = BffEvent['type']

/** @internal The request fields of an event that no request caused (`bff.admin`). */
export const NO_REQUEST = { ip: null, userAgent: null } as const

/**
 * @internal The fields every event about `session` shares: who, when, and from where. Each event
 * is `{ type, …details, ...sessionEvent(session, now, meta) }`.
 */
export const sessionEvent = (
  session: Pick<StoredSession, 'id' | 'userId'>,
  now: number,
  meta: Pick<EventBase, 'ip' | 'userAgent'>,
): SessionEventBase => ({
  sessionId: session.id,
  userId: session.userId,
  at: now,
  ip: meta.ip,
  userAgent: meta.userAgent,
})
