/**
 * @module
 * `GET /sessions`, `DELETE /sessions/:id` and `DELETE /sessions?scope=others`: the user's devices
 * (OWASP ASVS 7.5.2). Ending another session asks for a recent sign-in (`freshAuthMaxAge`, an RFC
 * 9470 step-up), judged by the session's own `authTime` rather than the token's, so an anomaly
 * that demands a step-up counts at once, not only from the next refresh.
 */
import type { SessionListBody } from '@baton/protocol'
import { Hono } from 'hono'
import { BffError, NO_SNIFF } from '../errors.js'
import { ownTokenCheck } from '../middleware/bff-require-auth.js'
import {
  freshAuthCheck,
  requireLiveSession,
  type LiveSessionEnv,
} from '../middleware/live-session.js'
import type { BffConfig } from '../options.js'
import { requestMeta } from '../request-meta.js'
import type { SessionService } from '../session-service.js'

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/

/** @internal */
export function sessionRoutes(config: BffConfig, sessions: SessionService) {
  const notFound = () => new BffError(404, 'not_found', 'No such session of yours.')
  /** Ending other sessions is sensitive: it must follow a recent proof of credentials. */
  const requireFreshAuth = freshAuthCheck(config)

  return (
    new Hono<LiveSessionEnv>()
      // Hono's '/sessions/*' also matches '/sessions' itself.
      .use('/sessions/*', ownTokenCheck(config), requireLiveSession(sessions))
      .get('/sessions', async (c) => {
        c.header('cache-control', 'no-store')
        c.header(...NO_SNIFF)
        const body = { sessions: await sessions.list(c.var.userId, c.var.sessionId) }
        return c.json(body satisfies SessionListBody)
      })
      .delete('/sessions', async (c) => {
        const scope = c.req.queries('scope')
        if (scope?.length !== 1 || scope[0] !== 'others') {
          throw new BffError(
            400,
            'invalid_request',
            'DELETE /sessions needs ?scope=others (every session but this one); to end this one, ' +
              'log out.',
          )
        }
        requireFreshAuth(c)
        await sessions.revokeOthers(c.var.userId, c.var.sessionId, requestMeta(config, c))
        return c.body(null, 204)
      })
      .delete('/sessions/:id', async (c) => {
        const id = c.req.param('id')
        if (!SESSION_ID.test(id)) throw notFound()
        // Ending the session that asks is a sign-out, which must always be possible.
        if (id !== c.var.sessionId) requireFreshAuth(c)
        if (!(await sessions.revokeOwn(c.var.userId, id, requestMeta(config, c)))) throw notFound()
        return c.body(null, 204)
      })
  )
}
