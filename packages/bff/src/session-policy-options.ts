/**
 * @module
 * The session-policy options of `createBff` (how many sessions a user may hold, what happens at
 * the limit, how recent a sign-in must be to end other sessions), documented and checked here so
 * `options.ts` and `normalize-options.ts` stay small. `BffOptions` extends
 * {@link SessionPolicyOptions}.
 */
import { parseDuration, type Duration } from '@baton/protocol'

/**
 * What a login does when the user already holds `maxSessionsPerUser` live sessions:
 * - `'evict_oldest'`: the new session starts and the oldest ones end (event `revoked`, reason
 *   `session_limit`), so the user can always sign in and a forgotten device drops off the list;
 * - `'refuse'`: the login answers `409 session_limit` until the user ends a session.
 */
export type SessionLimitAction = 'evict_oldest' | 'refuse'

/** Session policy: limits, and what the devices list demands (OWASP ASVS 7.1.2, 7.4.5, 7.5.2). */
export interface SessionPolicyOptions {
  /**
   * The most live sessions one user may hold (OWASP ASVS 7.1.2). A login past it does what
   * `onSessionLimit` says. `false` sets no limit. Every login then reads the user's sessions once
   * more. Under concurrent logins the limit may be passed by the logins racing, never for longer
   * than the next login (which evicts down to the limit again).
   * @default 50: far above the devices anyone uses, and still a bound on what a leaked password
   * (or a script signing in in a loop) can pile up in the store and in the devices list
   */
  maxSessionsPerUser?: number | false
  /**
   * What a login past `maxSessionsPerUser` does. `'refuse'` lets whoever holds the password lock
   * the owner out by filling the slots, so it is not the default.
   * @default 'evict_oldest'
   */
  onSessionLimit?: SessionLimitAction
  /**
   * How recently the user must have proved who they are (signed in or reauthenticated) to end
   * other sessions from the devices list (`DELETE {base}/sessions/:id`,
   * `DELETE {base}/sessions?scope=others`) (OWASP ASVS 7.5.2). Older, the BFF answers
   * `401 step_up_required` (RFC 9470) and the client reauthenticates. Ending the session that asks
   * is a sign-out and is never held back. The same applies to changing second factors, where
   * a user who has one must prove it (`acr` `mfa`). `false` turns the age off; the factor that
   * factor changes ask for stays.
   * @default '10m': a stolen access token or an unattended screen cannot sign the owner out of
   * their other devices (or keep them from noticing the theft) without the password
   */
  freshAuthMaxAge?: Duration | false
}

/** @internal {@link SessionPolicyOptions} after defaults and checks. */
export interface SessionPolicyConfig {
  maxSessionsPerUser: number | null
  onSessionLimit: SessionLimitAction
  /** `null`: no step-up on the devices list. */
  freshAuthMaxAgeMs: number | null
}

/** @internal Checks the session-policy options; throws a `TypeError` naming the option. */
export function normalizeSessionPolicy(options: SessionPolicyOptions): SessionPolicyConfig {
  const limit = options.maxSessionsPerUser ?? 50
  if (limit !== false && (!Number.isInteger(limit) || limit <= 0)) {
    throw new TypeError(
      `createBff: maxSessionsPerUser must be a positive integer or false, got ${String(limit)}`,
    )
  }
  const action = options.onSessionLimit ?? 'evict_oldest'
  if (action !== 'evict_oldest' && action !== 'refuse') {
    throw new TypeError(
      `createBff: onSessionLimit must be "evict_oldest" or "refuse", got "${String(action)}"`,
    )
  }
  const fresh = options.freshAuthMaxAge ?? '10m'
  let freshAuthMaxAgeMs: number | null = null
  if (fresh !== false) {
    freshAuthMaxAgeMs = parseDuration(fresh, 'createBff: freshAuthMaxAge')
    if (freshAuthMaxAgeMs < 1_000 || freshAuthMaxAgeMs % 1_000 !== 0) {
      throw new TypeError(
        'createBff: freshAuthMaxAge must be a whole number of seconds, at least "1s", or false, ' +
          `got ${JSON.stringify(fresh)}`,
      )
    }
  }
  return {
    maxSessionsPerUser: limit === false ? null : limit,
    onSessionLimit: action,
    freshAuthMaxAgeMs,
  }
}
