/**
 * @module
 * `POST /login`, `POST /refresh`, `POST /logout`: the cookie-authenticated routes.
 */
import type { GrantBody } from '@baton/protocol'
import { Hono, type Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { readJsonBody } from '../body.js'
import { BffError, isBffError } from '../errors.js'
import { clearedSessionCookies, readRefreshCookie, setSessionCookies } from '../cookies.js'
import { requireCsrfHeaders } from '../middleware/csrf.js'
import type { BffConfig } from '../options.js'
import { requestMeta, type SessionService } from '../session-service.js'
import type { Issued } from '../tokens/grant.js'

/** Larger than any sane login body, small enough that nobody can make the BFF buffer much. */
const MAX_BODY_BYTES = 8 * 1024

const invalidRequest = (message: string) => new BffError(400, 'invalid_request', message)

const readJson = (c: Context) => readJsonBody(c, { maxBytes: MAX_BODY_BYTES })

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** @internal */
export function authRoutes(config: BffConfig, sessions: SessionService) {
  const meta = (c: Context) => requestMeta(config, c)

  const respond = (c: Context, issued: Issued) => {
    setSessionCookies(c, config, issued.refreshToken, issued.cookieMaxAge)
    c.header('cache-control', 'no-store')
    return c.json({
      accessToken: issued.accessToken,
      tokenType: 'Bearer',
      expiresAt: issued.expiresAt,
      expiresIn: issued.expiresIn,
      user: issued.user,
      sessionId: issued.sessionId,
    } satisfies GrantBody)
  }

  // A 401 from refresh means the cookie is worthless: the browser drops it, and the hint with it.
  // The error is answered here rather than thrown on, because a `BffError`'s headers hold one
  // value per name and this answer carries two `Set-Cookie` headers.
  const endedSession = (c: Context, error: unknown): Response => {
    if (!isBffError(error) || error.status !== 401) throw error
    const res = error.getResponse()
    for (const cookie of clearedSessionCookies(c, config)) res.headers.append('set-cookie', cookie)
    return res
  }

  // A declared oversize body is refused before anything else, on every cookie route (refresh reads
  // no body); a chunked one while it is read.
  const limit = createMiddleware(async function bodySize(c, next) {
    const declared = c.req.header('content-length')
    if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) {
      throw new BffError(
        413,
        'payload_too_large',
        `The request body exceeds ${MAX_BODY_BYTES} bytes.`,
      )
    }
    await next()
  })
  const csrf = requireCsrfHeaders(config)

  // Guards go on each route, not `.use()`: this group is mounted at the base path next to the
  // bearer-authenticated session routes, and a `.use()` here would cover those (and 404s) too.
  return new Hono()
    .post('/login', limit, csrf, async (c) => {
      const body = await readJson(c)
      if (!isRecord(body)) throw invalidRequest('Expected a JSON object { username, password }.')
      const { username, password } = body
      if (typeof username !== 'string' || username.length === 0) {
        throw invalidRequest('username must be a non-empty string.')
      }
      if (typeof password !== 'string' || password.length === 0) {
        throw invalidRequest('password must be a non-empty string.')
      }
      if (username.length > config.maxUsernameLength) {
        throw invalidRequest(`username must be at most ${config.maxUsernameLength} characters.`)
      }
      if (password.length > config.maxPasswordLength) {
        throw invalidRequest(`password must be at most ${config.maxPasswordLength} characters.`)
      }
      const user = await config.authenticate({ username, password }, c)
      if (!user) {
        config.emit({ type: 'login_failed', username, at: config.now(), ...meta(c) })
        throw new BffError(401, 'invalid_credentials', 'The username or password is incorrect.')
      }
      if (typeof user !== 'object' || typeof user.id !== 'string' || user.id === '') {
        throw new TypeError(
          'authenticate must resolve to null or a user with a non-empty string id',
        )
      }
      // A refresh cookie sent along is ignored: login always starts a new session (no fixation).
      return respond(c, await sessions.login(user, meta(c)))
    })
    .post('/refresh', limit, csrf, async (c) => {
      let issued: Issued
      try {
        issued = await sessions.refresh(readRefreshCookie(c, config), meta(c))
      } catch (error) {
        return endedSession(c, error)
      }
      return respond(c, issued)
    })
    .post('/logout', limit, csrf, async (c) => {
      const body = await readJson(c)
      if (body !== undefined && !isRecord(body)) {
        throw invalidRequest('Expected no body or a JSON object { everywhere?: boolean }.')
      }
      const everywhere = body?.everywhere ?? false
      if (typeof everywhere !== 'boolean') throw invalidRequest('everywhere must be a boolean.')
      await sessions.logout(readRefreshCookie(c, config), everywhere, meta(c))
      for (const cookie of clearedSessionCookies(c, config)) {
        c.header('set-cookie', cookie, { append: true })
      }
      return c.body(null, 204)
    })
}
