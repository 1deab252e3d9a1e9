/**
 * @module
 * What the BFF's own bearer routes (`/sessions`, `/factors`) add after `ownTokenCheck`: the token's
 * session must still be live in the store, and sensitive actions need a recent sign-in.
 * @internal
 */
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { RequireAuthVariables } from '../env.js'
import { BffError } from '../errors.js'
import type { BffConfig } from '../options.js'
import type { SessionService } from '../session-service.js'
import { checkStepUp, type StepUpRequirement } from '../step-up/challenge.js'
import type { StoredSession } from '../stores/types.js'

/** @internal The variables of a live session's route: `requireAuth`'s, and the session. */
export interface LiveSessionEnv {
  Variables: RequireAuthVariables & { session: StoredSession }
}

/**
 * @internal Puts the token's session on `c.var.session`, or answers `401 invalid_token` when it
 * has ended. A valid signature is not enough here: the BFF owns the store, so it can refuse a
 * token whose session is over instead of waiting for its `exp`.
 */
export const requireLiveSession = (sessions: Pick<SessionService, 'liveSession'>) =>
  createMiddleware<LiveSessionEnv>(async function liveSession(c, next) {
    const session = await sessions.liveSession(c.var.sessionId)
    if (!session) {
      throw new BffError(401, 'invalid_token', 'The session of this token has ended.', {
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      })
    }
    c.set('session', session)
    await next()
  })

/**
 * @internal The check of a sensitive action (ending another session, changing second factors):
 * a proof of credentials at most `freshAuthMaxAge` old (an RFC 9470 step-up otherwise), judged by
 * the older of the session's own `authTime` and the token's `auth_time`. The session's, so an
 * anomaly that demands a step-up counts at once, not only from the next refresh; the token's, as
 * a grace-window duplicate told to step up gets `auth_time` 0 on its token alone (its session is
 * the owner's too), and that token must not pass on the owner's fresh sign-in.
 * `freshAuthMaxAge: false` turns the age off; an `acr` is still asked for.
 */
export function freshAuthCheck(
  config: Pick<BffConfig, 'sessionPolicy' | 'now'>,
  /** Classes the proof must be of too (`['mfa']`: a second factor), `null` for any. */
  acr: readonly string[] | null = null,
) {
  const maxAgeMs = config.sessionPolicy.freshAuthMaxAgeMs
  // `freshAuthMaxAge: false` drops the age, not the class: an account with a factor still has its
  // factors changed only from a session proven with one.
  const requirement: StepUpRequirement | null =
    maxAgeMs === null && acr === null ? null : { maxAgeMs, acr }
  return (c: Context<LiveSessionEnv>): void => {
    if (!requirement) return
    const { session, authTime: tokenAuthTime } = c.var
    const authTime = tokenAuthTime === null ? null : Math.min(session.authTime, tokenAuthTime)
    checkStepUp(requirement, { authTime, acr: session.acr }, config.now())
  }
}
