/**
 * @module
 * Audit events emitted through `onEvent`. Every security-relevant transition of a session is one
 * event, so reuse alarms (true theft or a false alarm from a lost response) can be counted.
 */
import type { RevocationReason, StoredSession } from './stores/types.js'

interface EventBase {
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

/** A session was revoked, by its user from another session, by "everywhere", or for theft. */
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

/** Any event passed to `onEvent`; switch on `type`. */
export type BffEvent =
  | LoginEvent
  | LoginFailedEvent
  | RefreshEvent
  | LogoutEvent
  | RevokedEvent
  | ReuseDetectedEvent
  | ExpiredEvent

/** The `type` of a {@link BffEvent}. */
export type BffEventType = BffEvent['type']

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
