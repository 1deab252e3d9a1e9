/**
 * @module
 * The refresh decision of RFC 9700 §4.14 as one pure function: what a presented refresh token is,
 * given the session it names and the time. No store, no crypto, no clock: the session service
 * reads the session, has already proved the token authentic (its MAC, see `tokens/refresh.ts`, so
 * a forgery never gets here), and acts on the answer.
 * @internal
 */
import type { StoredSession } from './stores/types.js'

/**
 * What a presented, authentic refresh token is, checked in this order (the first that applies):
 * - `revoked`: the session was ended (logout, revocation, reuse, an earlier expiry);
 * - `expired_absolute`: at or after the absolute deadline (OWASP ASVS 7.3.2);
 * - `expired_idle`: at or after the idle deadline (OWASP ASVS 7.3.1);
 * - `current`: the one valid token, to be rotated;
 * - `grace_duplicate`: the token the last rotation replaced, presented again within the grace
 *   period (a lost response, two tabs racing): it receives the successor already minted;
 * - `reused`: any other token of the family, i.e. an ancestor: someone kept a copy, and the server
 *   cannot tell thief from owner, so the whole family ends (RFC 9700 §4.14.2).
 */
export type PresentedTokenKind =
  'revoked' | 'expired_absolute' | 'expired_idle' | 'current' | 'grace_duplicate' | 'reused'

/** The part of a session the decision reads. */
export type SessionForDecision = Pick<
  StoredSession,
  | 'revokedAt'
  | 'expiresAt'
  | 'idleExpiresAt'
  | 'tokenHash'
  | 'previousTokenHash'
  | 'rotatedAt'
  | 'sealedSuccessor'
>

/** The timing the decision needs beyond the session's own deadlines. */
export interface DecisionTiming {
  /** How long after a rotation the replaced token still counts as a duplicate; `0`: never. */
  gracePeriodMs: number
}

/**
 * Access tokens expire in whole seconds and never after the session (`exp` is at most the absolute
 * deadline rounded down): from that second on no token could outlive its own issue, so the
 * session is over then rather than handing out a token that is already dead.
 */
const absoluteEnd = (session: Pick<StoredSession, 'expiresAt'>) =>
  Math.floor(session.expiresAt / 1000) * 1000

/**
 * @internal Whether `session` is still going at `now` as refresh judges it: the devices list and
 * the session limit count exactly the sessions a refresh would still serve.
 */
export const isRefreshable = (
  session: Pick<StoredSession, 'revokedAt' | 'expiresAt' | 'idleExpiresAt'>,
  now: number,
) => session.revokedAt === null && now < absoluteEnd(session) && now < session.idleExpiresAt

/**
 * @internal Classifies `presentedHash` (SHA-256 of an authentic token of `session`'s family) at
 * `now`. Deadlines are instants the session no longer reaches: at exactly `expiresAt` or
 * `idleExpiresAt` it has ended. The grace period includes its last instant.
 */
export function classifyPresentedToken(
  session: SessionForDecision,
  presentedHash: string,
  now: number,
  timing: DecisionTiming,
): PresentedTokenKind {
  if (session.revokedAt !== null) return 'revoked'
  if (now >= absoluteEnd(session)) return 'expired_absolute'
  if (now >= session.idleExpiresAt) return 'expired_idle'
  if (presentedHash === session.tokenHash) return 'current'
  const inGrace =
    presentedHash === session.previousTokenHash &&
    session.rotatedAt !== null &&
    session.sealedSuccessor !== null &&
    // `gracePeriod: 0` means no grace at all, even for a duplicate in the same millisecond.
    timing.gracePeriodMs > 0 &&
    now - session.rotatedAt <= timing.gracePeriodMs
  return inGrace ? 'grace_duplicate' : 'reused'
}
