/**
 * @module
 * `POST {base}/reauthenticate` (RFC 9470 step-up): the handler the cookie routes mount behind their
 * own guards (cookie path, body size, CSRF, one refresh cookie). It takes the bearer token and the
 * refresh cookie of one live session, and a `ReauthenticateBody` `{ username, password }`; on
 * success the session's `authTime` is now and the answer is a new grant (with the rotated cookie),
 * exactly like refresh's.
 *
 * The cheap checks come first: nobody without a live session (bearer and cookie of the same one)
 * gets a password checked here, so the route is no password oracle for strangers.
 */
import { SESSION_END_CODES } from '@baton/protocol'
import type { Context } from 'hono'
import { readJsonBody } from '../body.js'
import { BffError, isBffError } from '../errors.js'
import { readCredentials } from './credentials.js'
import { ownTokenCheck } from '../middleware/bff-require-auth.js'
import type { BffConfig, Credentials } from '../options.js'
import { requestMeta } from '../request-meta.js'
import type { SessionService } from '../session-service.js'
import { assertUser } from '../user-check.js'
import type { Issued } from '../tokens/grant.js'

const MAX_BODY_BYTES = 8 * 1024

/** One answer for a wrong password and for another user's right one: no oracle between them. */
const refused = () =>
  new BffError(401, 'invalid_credentials', 'The username or password is incorrect.')

/**
 * @internal True for an answer that says the session is over (`no_session`, `session_revoked`,
 * …): the route clears the cookies with it, as refresh does. A wrong password is not one.
 */
export const endsSession = (error: unknown): error is BffError =>
  isBffError(error) &&
  error.status === 401 &&
  (SESSION_END_CODES as readonly string[]).includes(error.code)

/**
 * @internal The bearer check and the handler of `POST /reauthenticate`. `authenticate` is the
 * application's, or a wrapper of it (a rate limit) the cookie routes share with login; it is told
 * the session's user id, the only user whose right password counts as a success here.
 */
export function reauthenticateRoute(
  config: BffConfig,
  sessions: SessionService,
  authenticate: (
    credentials: Credentials,
    c: Context,
    expectedUserId: string,
  ) => Promise<unknown> = (credentials, c) => config.authenticate(credentials, c),
  /**
   * `createBff({ mfa })`: checks a second factor (`{ method: 'totp', code }`,
   * `{ method: 'passkey', assertion }`, see `ReauthenticateFactorBody`) instead of a password, and
   * returns what it proved; throws `401 invalid_credentials` when it does not check out.
   */
  verifyFactor?: (
    c: Context,
    userId: string,
    body: Record<string, unknown>,
  ) => Promise<{ amr: readonly string[]; acr: string | null }>,
) {
  const meta = (c: Context) => requestMeta(config, c)
  return {
    /** The access token of the session, as the session routes verify it. */
    bearer: ownTokenCheck(config),

    /** Checks everything and returns the grant the route answers with. */
    async handle(c: Context, cookie: string | undefined, tokenSessionId: string): Promise<Issued> {
      const about = meta(c)
      const body = await readJsonBody(c, { maxBytes: MAX_BODY_BYTES })
      if (verifyFactor && typeof body === 'object' && body !== null && 'method' in body) {
        // The cookie first, as for a password: no factor is checked for a stranger.
        const target = await sessions.stepUp.target({
          cookie,
          tokenSessionId,
          meta: about,
          context: c,
        })
        const proof = await verifyFactor(c, target.session.userId, body)
        return sessions.stepUp.complete(target, about, proof)
      }
      const credentials = readCredentials(body, config)
      const target = await sessions.stepUp.target({
        cookie,
        tokenSessionId,
        meta: about,
        context: c,
      })
      const { session } = target
      const user = await authenticate(credentials, c, session.userId)
      if (user !== null) assertUser(user, 'authenticate')
      if (!user || user.id !== session.userId) {
        config.emit({
          type: 'reauthenticate_failed',
          reason: user ? 'user_mismatch' : 'invalid_credentials',
          username: credentials.username,
          sessionId: session.id,
          userId: session.userId,
          at: config.now(),
          ...about,
        })
        throw refused()
      }
      return sessions.stepUp.complete(target, about)
    },
  }
}
