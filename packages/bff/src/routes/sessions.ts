/**
 * @module
 * `GET /sessions` and `DELETE /sessions/:id`: the user's devices (OWASP ASVS 7.5.2).
 */
import type { SessionListBody } from '@baton/protocol'
import { Hono } from 'hono'
import type { BffEnv } from '../env.js'
import { BffError, NO_SNIFF } from '../errors.js'
import { requireAuth } from '../middleware/require-auth.js'
import type { BffConfig } from '../options.js'
import { requestMeta } from '../request-meta.js'
import type { SessionService } from '../session-service.js'

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/

/** @internal */
export function sessionRoutes(config: BffConfig, sessions: SessionService) {
  const notFound = () => new BffError(404, 'not_found', 'No such session of yours.')

  return (
    new Hono<BffEnv>()
      // Hono's '/sessions/*' also matches '/sessions' itself.
      .use(
        '/sessions/*',
        requireAuth({
          jwks: config.keys,
          issuer: config.issuer,
          audience: config.audience,
          // The BFF knows the lifetime of its tokens; it refuses any older one.
          maxTokenAge: config.accessTokenTtlMs,
          now: config.now,
        }),
      )
      .use('/sessions/*', async (c, next) => {
        // A valid signature is not enough here: the BFF owns the store, so it can refuse a token
        // whose session has already ended instead of waiting for `exp`.
        if (!(await sessions.liveSession(c.var.sessionId))) {
          throw new BffError(401, 'invalid_token', 'The session of this token has ended.', {
            headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
          })
        }
        await next()
      })
      .get('/sessions', async (c) => {
        c.header('cache-control', 'no-store')
        c.header(...NO_SNIFF)
        const body = { sessions: await sessions.list(c.var.userId, c.var.sessionId) }
        return c.json(body satisfies SessionListBody)
      })
      .delete('/sessions/:id', async (c) => {
        const id = c.req.param('id')
        if (!SESSION_ID.test(id)) throw notFound()
        if (!(await sessions.revokeOwn(c.var.userId, id, requestMeta(config, c)))) throw notFound()
        return c.body(null, 204)
      })
  )
}
