/**
 * @module
 * The security console's API (`/api/admin/*`): the audit events of every user, live over SSE,
 * the active sessions of every user, and revocations. Every route needs a valid bearer token of
 * a user whose role is `admin`; the ones that change something also pass the same CSRF check as
 * the BFF's cookie routes.
 */
import {
  BffError,
  type RequireAuthVariables,
  type SessionAdmin,
  type SessionStore,
} from '@baton/bff'
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import { streamSSE, type SSEMessage } from 'hono/streaming'
import type { EventHub } from './event-hub.js'
import { setTimeoutAt } from './timers.js'
import type { UserDirectory } from './users.js'

/** The BFF's CSRF header (`CSRF_HEADER` of `@baton/protocol`), which no HTML form can send. */
const CSRF_HEADER = 'x-csrf'

/** A console this far behind (messages not yet read) is cut off rather than buffered forever. */
export const MAX_PENDING_MESSAGES = 500

/** How often an idle stream sends a `ping`, so proxies and the browser keep it open. */
const HEARTBEAT_MS = 20_000

type AdminEnv = { Variables: RequireAuthVariables }

/** Options of {@link createAdminApi}. */
export interface AdminApiOptions {
  /** Verifies the bearer token (`bff.requireAuth()`): signature, claims, revocations. */
  requireAuth: MiddlewareHandler<AdminEnv>
  /** `bff.admin`: lists each user's sessions, ends sessions and reports them as `revoked` events. */
  admin: SessionAdmin
  /** Says when the console's own session is revoked (on any instance sharing the store). */
  store: Pick<SessionStore, 'subscribeRevocations'>
  users: UserDirectory
  hub: EventHub
  /** Origins allowed to change anything; `null`: the request's own origin only (like the BFF). */
  allowedOrigins: readonly string[] | null
  /** @default Date.now */
  now?: () => number
  /** @default 20 000 */
  heartbeatMs?: number
}

/** One user's live sessions, as `GET /api/admin/sessions` lists them. */
export interface AdminUserSessions {
  id: string
  username: string
  name: string
  role: string
  sessions: {
    id: string
    createdAt: number
    lastUsedAt: number
    expiresAt: number
    ip: string | null
    userAgent: string | null
  }[]
}

/**
 * Why the stream ended, in its last `end` message: `expired` (the access token it was opened with
 * ran out; reconnect with a fresh one) or `revoked` (the console's session ended; do not).
 */
export type StreamEndReason = 'expired' | 'revoked' | 'overflow'

/**
 * The admin check. `forbidden` is the demo's own code: the wire contract of `@baton/protocol`
 * has none for "authenticated, but not allowed", and the BFF itself never needs one.
 */
function forbidden(c: Context) {
  c.header('x-content-type-options', 'nosniff')
  // Like every answer of the console: a shared cache must not keep it for the next user.
  c.header('cache-control', 'no-store')
  return c.json(
    { error: { code: 'forbidden', message: 'The security console is for administrators.' } },
    403,
  )
}

/** The BFF's CSRF rule (see `@baton/bff` middleware/csrf.ts), for the admin's DELETE routes. */
function csrf(allowedOrigins: readonly string[] | null) {
  return createMiddleware(async function adminCsrf(c, next) {
    let allowed: boolean
    const origin = c.req.header('origin')
    if (c.req.header(CSRF_HEADER) !== '1') allowed = false
    else if (origin !== undefined) {
      allowed = (allowedOrigins ?? [new URL(c.req.url).origin]).includes(origin)
    } else allowed = c.req.header('sec-fetch-site') === 'same-origin'
    if (!allowed) throw new BffError(403, 'csrf_failed', 'The request failed the CSRF check.')
    await next()
  })
}

/**
 * Creates the console's API, to mount at `/api/admin` before the demo API:
 * - `GET /events`: `text/event-stream`; first a `snapshot` (`HubSnapshot`, see `event-hub.ts`), then an
 *   `audit` message per event (its `id` the sequence number), a `ping` when idle, and an `end`
 *   ({@link StreamEndReason}) when the token it was opened with expires or its session is revoked.
 * - `GET /sessions`: every user's live sessions.
 * - `DELETE /sessions/:id`: ends one session (204, or 404 `not_found`).
 * - `DELETE /users/:id/sessions`: ends every session of a user (`{ revoked: string[] }`).
 *
 * @example
 * ```ts
 * app.route('/api/admin', createAdminApi({ requireAuth: bff.requireAuth(), admin: bff.admin, store, users, hub, allowedOrigins: null }))
 * ```
 */
export function createAdminApi(options: AdminApiOptions): Hono<AdminEnv> {
  const { admin, store, users, hub } = options
  const now = options.now ?? Date.now
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS
  const app = new Hono<AdminEnv>()

  app.use(options.requireAuth)
  // The role is read from the directory on every request, not from the token: demoting an
  // administrator takes effect at once.
  app.use(async function requireAdmin(c, next) {
    if (users.find(c.var.userId)?.role !== 'admin') return forbidden(c)
    await next()
    c.header('cache-control', 'no-store')
    return undefined
  })

  app.get('/events', (c) => {
    const sessionId = c.var.sessionId
    const expiresAt = c.var.claims.exp * 1000
    return streamSSE(c, async (stream) => {
      let pending = 0
      let writes = Promise.resolve()
      let ending = false
      let finish: (reason: StreamEndReason | null) => void = () => {}
      const ended = new Promise<StreamEndReason | null>((resolve) => (finish = resolve))
      const end = (reason: StreamEndReason | null) => {
        // Nothing is queued after the decision to end, whatever else happens in this tick.
        ending = true
        finish(reason)
      }
      // Writes are chained: SSE messages must not interleave, and a slow reader must not make
      // the hub wait. A reader too far behind is cut off (it reconnects to a fresh snapshot).
      const send = (message: SSEMessage) => {
        if (ending) return
        if (pending >= MAX_PENDING_MESSAGES) return end('overflow')
        pending++
        writes = writes.then(() => stream.writeSSE(message)).finally(() => void pending--)
      }

      send({ event: 'snapshot', data: JSON.stringify(hub.snapshot()) })
      const unsubscribe = hub.subscribe(({ seq, event }) =>
        send({ event: 'audit', id: String(seq), data: JSON.stringify(event) }),
      )
      const stopRevocations = store.subscribeRevocations((ids) => {
        if (ids.includes(sessionId)) end('revoked')
      })
      // The stream lives no longer than the token that opened it: the admin check is redone on
      // every reconnect, with a fresh token. Armed in steps: a token of 25 days (BATON_ACCESS_TTL
      // has no upper bound) would overflow a single setTimeout, which then fires at once.
      const stopExpiry = setTimeoutAt(() => end('expired'), expiresAt, now)
      const heartbeat = setInterval(() => send({ event: 'ping', data: '' }), heartbeatMs)
      stream.onAbort(() => end(null))

      let reason: StreamEndReason | null
      try {
        reason = await ended
      } finally {
        // Let go first: flushing below waits for the reader, who may never read again.
        unsubscribe()
        stopRevocations()
        stopExpiry()
        clearInterval(heartbeat)
      }
      if (reason === 'overflow') {
        stream.abort()
      } else if (reason !== null && !stream.aborted) {
        await writes
        await stream.writeSSE({ event: 'end', data: reason })
      }
    })
  })

  app.get('/sessions', async (c) => {
    const list: AdminUserSessions[] = []
    for (const user of users.list()) {
      const sessions = await admin.listUserSessions(user.id)
      list.push({
        id: user.id,
        username: user.username,
        name: user.name,
        role: user.role,
        sessions: sessions.map((session) => ({
          id: session.id,
          createdAt: session.createdAt,
          lastUsedAt: session.lastUsedAt,
          expiresAt: Math.min(session.expiresAt, session.idleExpiresAt),
          ip: session.ip,
          userAgent: session.userAgent,
        })),
      })
    }
    return c.json({ users: list })
  })

  const check = csrf(options.allowedOrigins)

  app.delete('/sessions/:id', check, async (c) => {
    if (!(await admin.revokeSession(c.req.param('id'), 'revoked'))) {
      throw new BffError(404, 'not_found', 'No live session has this id.')
    }
    return c.body(null, 204)
  })

  app.delete('/users/:id/sessions', check, async (c) => {
    const userId = c.req.param('id')
    if (users.find(userId) === undefined) throw new BffError(404, 'not_found', 'No such user.')
    return c.json({ revoked: await admin.revokeUser(userId, 'revoked') })
  })

  return app
}
