/**
 * @module
 * `POST /login`, `POST /refresh`, `POST /logout`: the cookie-authenticated routes.
 */
import { ACTIVITY_HEADER, DPOP_NONCE_HEADER, type GrantBody } from '@baton/protocol'
import { Hono, type Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import { readJsonBody } from '../body.js'
import { cookiePathCheck, cookiePathWarning } from '../cookie-path-check.js'
import { setSessionCookies } from '../cookies.js'
import { bffErrorHandler } from '../error-handler.js'
import { BffError, isBffError, NO_SNIFF } from '../errors.js'
import { csrfCheck, requireCsrfHeaders } from '../middleware/csrf.js'
import type { BffConfig } from '../options.js'
import { assertUser } from '../user-check.js'
import { passwordLoginOff } from '../normalize-options.js'
import { rateLimits } from '../rate-limit/limits.js'
import { invalidRequest, readCredentials } from './credentials.js'
import { endsSession, reauthenticateRoute } from './reauthenticate.js'
import { refreshCookieRules, type RefreshCookieEnv } from './refresh-cookie.js'
import type { MfaRoutes } from '../mfa/routes.js'
import { requestMeta } from '../request-meta.js'
import type { SessionService } from '../session-service.js'
import type { StoredSession } from '../stores/types.js'
import type { Issued } from '../tokens/grant.js'

/** Larger than any sane login body, small enough that nobody can make the BFF buffer much. */
const MAX_BODY_BYTES = 8 * 1024

const readJson = (c: Context) => readJsonBody(c, { maxBytes: MAX_BODY_BYTES })

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Reads `{ everywhere?: boolean }`, or no body at all. */
async function readLogoutBody(c: Context): Promise<boolean> {
  const body = await readJson(c)
  if (body !== undefined && !isRecord(body)) {
    throw invalidRequest('Expected no body or a JSON object { everywhere?: boolean }.')
  }
  // Only a missing key means "this device": `null` is a value the contract does not allow, and a
  // client that meant `true` must not be told its other sessions ended.
  const everywhere =
    body === undefined || !Object.hasOwn(body, 'everywhere') ? false : body.everywhere
  if (typeof everywhere !== 'boolean') throw invalidRequest('everywhere must be a boolean.')
  return everywhere
}

/** @internal */
export function authRoutes(
  config: BffConfig,
  sessions: SessionService,
  hooks: {
    /** `@baton/bff/oidc`: prepares the provider's end-session redirect; never throws. */
    afterLogout?: ((c: Context, ended: StoredSession) => Promise<void>) | undefined
    /**
     * `createBff({ mfa })` (`mfa/routes.ts`): after a right password, throws `401 mfa_required`
     * for a user with a second factor; checks a factor given to `POST /reauthenticate`.
     */
    secondFactor?: Pick<MfaRoutes, 'challengeAtLogin' | 'verifyStepUp'> | undefined
  } = {},
) {
  const meta = (c: Context) => requestMeta(config, c)
  const errorResponse = bffErrorHandler({ logger: config.logger })

  const respond = async (c: Context, issued: Issued & { tokenType?: GrantBody['tokenType'] }) => {
    setSessionCookies(c, config, issued)
    c.header('cache-control', 'no-store')
    c.header(...NO_SNIFF)
    // With nonces on, every answer carries the current one, so the next proof has it (§8.2).
    const nonces = config.binding.nonces
    if (nonces) c.header(DPOP_NONCE_HEADER, await nonces.current(config.now()))
    return c.json({
      accessToken: issued.accessToken,
      tokenType: issued.tokenType ?? 'Bearer',
      expiresAt: issued.expiresAt,
      expiresIn: issued.expiresIn,
      idleExpiresIn: issued.idleExpiresIn,
      user: issued.user,
      sessionId: issued.sessionId,
    } satisfies GrantBody)
  }

  const { clearing, refreshCookie, readRefreshCookie } = refreshCookieRules(config)

  // A 401 from refresh means the cookie is worthless: the browser drops it, and the hint with it.
  // A refused DPoP proof is a 401 that ends nothing (a bug or a clock must not sign anyone out).
  const endedSession = (c: Context, error: unknown): Response => {
    if (!isBffError(error) || error.status !== 401 || error.code === 'invalid_dpop_proof') {
      throw error
    }
    return clearing(c, error.getResponse())
  }

  // A declared oversize body is refused before anything else on login and refresh (which reads no
  // body); a chunked one while it is read.
  const checkBodySize = (c: Context) => {
    const declared = c.req.header('content-length')
    if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) {
      throw new BffError(
        413,
        'payload_too_large',
        `The request body exceeds ${MAX_BODY_BYTES} bytes.`,
      )
    }
  }
  const limit = createMiddleware(async function bodySize(c, next) {
    checkBodySize(c)
    await next()
  })
  const checkCsrf = csrfCheck(config)
  const csrf = requireCsrfHeaders(config)
  const limits = rateLimits(config)
  // The per-IP budget is charged after the CSRF check (a forged cross-site request must not spend
  // the victim's budget), before anything that reads the store or checks a password.
  const gate = (route: 'login' | 'reauthenticate') => {
    const checkCsrf = csrf(route)
    return createMiddleware(async function gate(c, next) {
      await checkCsrf(c, async () => {
        await limits.checkIp(c, route)
        await next()
      })
    })
  }
  const warnCookiePath = cookiePathWarning(config)
  const cookiePath = cookiePathCheck(config, warnCookiePath)
  // Step-up checks a password too: the username delay and the concurrency cap apply to it.
  const reauth = reauthenticateRoute(
    config,
    sessions,
    (credentials, c, expectedUserId) =>
      limits.authenticate(c, 'reauthenticate', credentials, expectedUserId),
    hooks.secondFactor?.verifyStepUp,
  )

  // A BFF without `authenticate` (OpenID Connect only) has no password routes: 404 before
  // anything reads the body, charges a budget or asks a store.
  const password = createMiddleware(async function passwordLogin(_, next) {
    if (!config.passwordLogin) throw passwordLoginOff()
    await next()
  })

  // Guards go on each route, not `.use()`: this group is mounted at the base path next to the
  // bearer-authenticated session routes, and a `.use()` here would cover those (and 404s) too.
  return (
    new Hono<RefreshCookieEnv>()
      .post(
        '/login',
        password,
        cookiePath,
        limit,
        gate('login'),
        refreshCookie('login'),
        async (c) => {
          const { username, password } = readCredentials(await readJson(c), config)
          // The proof before the password: a refused or nonce-less proof costs no password check.
          const jkt = await limits.proveSignIn(c, 'login', () => sessions.binding.atLogin(c))
          const user = await limits.authenticate(c, 'login', { username, password })
          if (!user) {
            config.emit({ type: 'login_failed', username, at: config.now(), ...meta(c) })
            throw new BffError(401, 'invalid_credentials', 'The username or password is incorrect.')
          }
          assertUser(user, 'authenticate')
          // Always a new session (no fixation); the one the cookie names ends first. A copy is
          // stored, so the application changing its object later does not change the session.
          // A user with a second factor gets a ticket instead (`401 mfa_required`, `mfa/`).
          await hooks.secondFactor?.challengeAtLogin(c, { ...user }, jkt)
          return respond(c, await sessions.login({ ...user }, c.var.refreshCookie, meta(c), c, jkt))
        },
      )
      // The hottest route runs the same guards in the same order (cookie path, body size, CSRF,
      // per-IP budget, one cookie) as calls in one handler. Hono runs a route of one handler
      // without composing middleware, and wraps every handler of a mounted app that has its own
      // error handler (as the BFF does) in a compose of its own: four middleware cost four such
      // layers of promises per refresh.
      .post('/refresh', async function refresh(c) {
        warnCookiePath(c)
        checkBodySize(c)
        checkCsrf(c, 'refresh')
        await limits.checkIp(c, 'refresh')
        const cookie = readRefreshCookie(c, 'refresh')
        if (typeof cookie === 'object') return cookie
        let issued: Issued
        try {
          issued = await sessions.refresh({
            cookie,
            activity: c.req.header(ACTIVITY_HEADER) === '1',
            meta: meta(c),
            context: c,
            proof: sessions.binding.proofOf(c),
          })
        } catch (error) {
          return endedSession(c, error)
        }
        return respond(c, issued)
      })
      // RFC 9470 step-up (`routes/reauthenticate.ts`): bearer and cookie of one session, and the
      // password again. An answer that the session is over clears the cookies, as refresh does.
      .post(
        '/reauthenticate',
        password,
        cookiePath,
        limit,
        gate('reauthenticate'),
        refreshCookie('reauthenticate'),
        reauth.bearer,
        async (c) => {
          let issued: Issued
          try {
            issued = await reauth.handle(c, c.var.refreshCookie, c.var.sessionId)
          } catch (error) {
            if (endsSession(error)) return clearing(c, error.getResponse())
            throw error
          }
          return respond(c, issued)
        },
      )
      // No clearing before the CSRF check passes: a cross-site form posting here would otherwise
      // sign any visitor out (logout CSRF). After it, every answer clears the cookies, a failure
      // too: a client that shows "signed out" must not find the session back after a reload once
      // the store recovers. What could not be ended is reported as `logout_failed`.
      .post('/logout', csrf('logout'), refreshCookie('logout'), async (c) => {
        const cookie = c.var.refreshCookie
        const about = meta(c)
        let res: Response
        try {
          let everywhere: boolean
          try {
            // A refused logout still clears the browser's cookies, and the session it leaves live
            // is reported: the client shows "signed out", the cookie's copies still refresh.
            await limits.checkIp(c, 'logout')
            everywhere = await readLogoutBody(c)
          } catch (error) {
            await sessions.reportLogoutFailure(cookie, error, about)
            throw error
          }
          const proof = sessions.binding.proofOf(c)
          const ended = await sessions.logout(cookie, everywhere, about, proof)
          // Only for a session its holder ended (a bound one's proof included): a copied or old
          // cookie must not drop the provider's tokens or earn the ID token as a logout hint.
          if (ended) await hooks.afterLogout?.(c, ended)
          res = c.body(null, 204)
        } catch (error) {
          res = await errorResponse(error instanceof Error ? error : new Error(String(error)), c)
        }
        return clearing(c, res)
      })
  )
}
