/**
 * @module
 * The routes of second factors (`createBff({ mfa })`), beside the auth routes under `{base}`:
 *
 * - Signed in (bearer token of a live session), under `/factors`: `GET /factors`
 *   (`FactorListBody`), `POST /factors/totp` (enrol), `POST /factors/totp/:id/confirm`,
 *   `POST /factors/recovery-codes`, `POST /factors/passkey/options`, `POST /factors/passkey`,
 *   `DELETE /factors/:id`; and `POST /reauthenticate/passkey/options` for a step-up by passkey.
 *   Adding or removing a factor is sensitive: it needs a recent proof (`freshAuthMaxAge`).
 * - Signing in (cookie routes: CSRF, refresh-cookie rules as login): `POST /login/mfa`
 *   (`LoginMfaBody`), `POST /login/passkey/options` and `POST /login/passkey`.
 *
 * Every route charges the `mfa` per-IP budget first; every code or assertion checked also counts
 * against the user (`limits.ts`) and, at `/login/mfa`, the ticket.
 */
import { DPOP_NONCE_HEADER, type GrantBody, type SessionUser } from '@baton/protocol'
import { Hono, type Context } from 'hono'
import { readJsonBody } from '../body.js'
import { cookiePathCheck } from '../cookie-path-check.js'
import { refreshCookieValues, setSessionCookies } from '../cookies.js'
import type { RequireAuthVariables } from '../env.js'
import { BffError, NO_SNIFF } from '../errors.js'
import { ownTokenCheck } from '../middleware/bff-require-auth.js'
import { requireCsrfHeaders } from '../middleware/csrf.js'
import type { BffConfig } from '../options.js'
import { rateLimits } from '../rate-limit/limits.js'
import { requestMeta } from '../request-meta.js'
import { cookieConflict } from '../session-errors.js'
import type { SessionService } from '../session-service.js'
import { checkStepUp } from '../step-up/challenge.js'
import type { StoredSession } from '../stores/types.js'
import type { Issued } from '../tokens/grant.js'
import { factorBudget } from './limits.js'
import type { MfaConfig } from './options.js'
import {
  assertionOptions,
  readAssertion,
  refusedAssertion,
  registrationOptions,
  verifyAssertion,
  verifyRegistration,
} from './passkeys.js'
import {
  accountName,
  ACR_MFA,
  createMfa,
  factorSummary,
  MAX_FACTORS,
  readFactorAnswer,
} from './service.js'
import { randomId } from './secrets.js'

/** Passkey registrations carry an attestation object: room for a few kilobytes. */
const MAX_BODY_BYTES = 32 * 1024
const MAX_LABEL = 64

interface FactorsEnv {
  Variables: RequireAuthVariables & { session: StoredSession }
}

const invalidRequest = (message: string) => new BffError(400, 'invalid_request', message)
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

async function readObject(c: Context, optional = false): Promise<Record<string, unknown>> {
  const body = await readJsonBody(c, { maxBytes: MAX_BODY_BYTES })
  if (body === undefined && optional) return {}
  if (!isRecord(body)) throw invalidRequest('Expected a JSON object.')
  return body
}

function readLabel(body: Record<string, unknown>, fallback: string): string {
  const { label } = body
  if (label === undefined) return fallback
  if (typeof label !== 'string' || label.trim() === '' || label.length > MAX_LABEL) {
    throw invalidRequest(`label must be a non-empty string of at most ${MAX_LABEL} characters.`)
  }
  return label.trim()
}

const readTicket = (body: Record<string, unknown>): string => {
  const { ticket } = body
  if (typeof ticket !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(ticket)) {
    throw invalidRequest('ticket must be the ticket of the mfa_required answer.')
  }
  return ticket
}

/** @internal The routes, and the verifier `POST /reauthenticate` uses for a factor. */
export function mfaRoutes(config: BffConfig, mfaConfig: MfaConfig, sessions: SessionService) {
  const mfa = createMfa(config, mfaConfig)
  const limits = rateLimits(config)
  const budget = factorBudget(config)
  const csrf = requireCsrfHeaders(config)('login')
  const cookiePath = cookiePathCheck(config)
  const meta = (c: Context) => requestMeta(config, c)
  const perIp = limits.perIp('mfa')
  const fresh =
    config.sessionPolicy.freshAuthMaxAgeMs === null
      ? null
      : { maxAgeMs: config.sessionPolicy.freshAuthMaxAgeMs, acr: null }

  /** The grant a sign-in answers with, exactly as `POST /login`'s. */
  const respond = async (c: Context, issued: Issued) => {
    setSessionCookies(c, config, issued.refreshToken, issued.cookieMaxAge)
    c.header('set-cookie', mfa.clearedTicketCookie(), { append: true })
    c.header('cache-control', 'no-store')
    c.header(...NO_SNIFF)
    const nonces = config.binding.nonces
    if (nonces) c.header(DPOP_NONCE_HEADER, await nonces.current(config.now()))
    return c.json({
      accessToken: issued.accessToken,
      tokenType: issued.tokenType,
      expiresAt: issued.expiresAt,
      expiresIn: issued.expiresIn,
      idleExpiresIn: issued.idleExpiresIn,
      user: issued.user,
      sessionId: issued.sessionId,
    } satisfies GrantBody)
  }

  /** The one refresh cookie a sign-in ends first, as login reads it (never a tossed second). */
  const presentedCookie = (c: Context) => {
    const values = refreshCookieValues(c, config)
    if (values.length > 1) throw cookieConflict()
    return values[0]
  }

  /**
   * Checks a factor answer under the user's budget; a failure counts against it (`401` on the
   * cookie routes, `403` on the bearer ones: see `refusedCode`).
   */
  const checked = async <T>(c: Context, userId: string, verify: () => Promise<T>): Promise<T> => {
    await budget.check(c, userId)
    try {
      return await verify()
    } catch (error) {
      if (error instanceof BffError && (error.status === 401 || error.status === 403)) {
        await budget.fail(userId)
      }
      throw error
    }
  }

  const requireFreshAuth = (c: Context<FactorsEnv>) => {
    if (!fresh) return
    const { authTime, acr } = c.var.session
    checkStepUp(fresh, { authTime, acr }, config.now())
  }

  const noStore = (c: Context) => {
    c.header('cache-control', 'no-store')
    c.header(...NO_SNIFF)
  }

  const signedIn = new Hono<FactorsEnv>()
    .use('/factors/*', perIp, ownTokenCheck(config))
    .use('/reauthenticate/passkey/options', perIp, ownTokenCheck(config))
    .use('/factors/*', async (c, next) => {
      const session = await sessions.liveSession(c.var.sessionId)
      if (!session) {
        throw new BffError(401, 'invalid_token', 'The session of this token has ended.', {
          headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
        })
      }
      c.set('session', session)
      await next()
    })
    .get('/factors', async (c) => {
      noStore(c)
      return c.json(await mfa.list(c.var.userId))
    })
    .post('/factors/totp', async (c) => {
      requireFreshAuth(c)
      const label = readLabel(await readObject(c, true), 'Authenticator app')
      noStore(c)
      return c.json(await mfa.enrolTotp(c.var.session.user, label), 201)
    })
    .post('/factors/totp/:id/confirm', async (c) => {
      const body = await readObject(c)
      const answer = readFactorAnswer({ ...body, method: 'totp' })
      if (answer.method !== 'totp') throw invalidRequest('code is required.')
      const userId = c.var.userId
      const result = await checked(c, userId, () =>
        mfa.confirmTotp(c, userId, c.req.param('id'), answer.code),
      )
      noStore(c)
      return c.json(result)
    })
    .post('/factors/recovery-codes', async (c) => {
      requireFreshAuth(c)
      if ((await mfa.methodsOf(c.var.userId)).length === 0) {
        throw invalidRequest('Recovery codes back up a second factor: add one first.')
      }
      noStore(c)
      return c.json({ recoveryCodes: await mfa.newCodes(c, c.var.userId) })
    })
    .post('/factors/passkey/options', async (c) => {
      requireFreshAuth(c)
      const user = c.var.session.user
      const existing = await mfaConfig.factors.listFactors(user.id)
      if (existing.length >= MAX_FACTORS) {
        throw invalidRequest(`A user can have at most ${MAX_FACTORS} factors.`)
      }
      const options = await registrationOptions(
        mfaConfig,
        c,
        user,
        accountName(user),
        existing,
        config.now(),
      )
      noStore(c)
      return c.json(options)
    })
    .post('/factors/passkey', async (c) => {
      requireFreshAuth(c)
      const body = await readObject(c)
      const label = readLabel(body, 'Passkey')
      const { session } = c.var
      const now = config.now()
      // A refused registration (a used or foreign challenge) is 403 here: a 401 on a bearer route
      // reads as a refused token to the client, which would refresh and send it again.
      const credential = await verifyRegistration(
        mfaConfig,
        c,
        session.userId,
        body.response,
        now,
      ).catch((error: unknown) => {
        if (error instanceof BffError && error.status === 401) {
          throw new BffError(403, 'invalid_credentials', error.message, { cause: error })
        }
        throw error
      })
      const existing = await mfaConfig.factors.listFactors(session.userId)
      if (existing.some((f) => f.passkey?.credentialId === credential.credentialId)) {
        throw invalidRequest('This passkey is already registered.')
      }
      const factor = {
        id: randomId(),
        userId: session.userId,
        method: 'passkey' as const,
        label,
        createdAt: now,
        confirmedAt: now,
        lastUsedAt: null,
        lastStep: -1,
        counter: credential.counter,
        backedUp: credential.backedUp,
        sealedSecret: null,
        passkey: {
          credentialId: credential.credentialId,
          publicKey: credential.publicKey,
          transports: credential.transports,
          deviceType: credential.deviceType,
          user: session.user,
        },
      }
      await mfaConfig.factors.createFactor(factor, now)
      mfa.emit(c, session.userId, { type: 'factor_added', method: 'passkey', factorId: factor.id })
      noStore(c)
      return c.json({ factor: factorSummary(factor) }, 201)
    })
    .delete('/factors/:id', async (c) => {
      requireFreshAuth(c)
      await mfa.remove(c, c.var.userId, c.req.param('id'))
      return c.body(null, 204)
    })
    .post('/reauthenticate/passkey/options', async (c) => {
      const userId = c.var.userId
      const existing = await mfaConfig.factors.listFactors(userId)
      const options = await assertionOptions(
        mfaConfig,
        c,
        { purpose: 'step_up', userId },
        existing,
        config.now(),
      )
      noStore(c)
      return c.json(options)
    })

  const signingIn = new Hono()
    .post('/login/mfa', cookiePath, csrf, perIp, async (c) => {
      const body = await readObject(c)
      const ticket = readTicket(body)
      const answer = readFactorAnswer(body)
      const jkt = await sessions.binding.atLogin(c)
      const { key, record } = await mfa.openTicket(c, ticket, jkt)
      const userId = record.user.id
      if (!record.methods.includes(answer.method)) {
        throw invalidRequest(`This account cannot sign in with ${answer.method}.`)
      }
      let proof
      try {
        proof = await checked(c, userId, () => mfa.verify(c, userId, answer, 'mfa', key))
      } catch (error) {
        if (error instanceof BffError && error.status === 401) {
          await mfa.failTicket(c, key, userId, answer.method)
        }
        throw error
      }
      await mfa.takeTicket(key)
      const issued = await sessions.login(record.user, presentedCookie(c), meta(c), c, jkt, {
        authTime: config.now(),
        amr: proof.amr,
        acr: proof.acr,
      })
      return respond(c, issued)
    })
    .post('/login/passkey/options', cookiePath, csrf, perIp, async (c) => {
      const body = await readObject(c, true)
      const now = config.now()
      let options
      if (body.ticket === undefined) {
        if (!mfaConfig.passkeyLogin) {
          throw invalidRequest('Passkeys are a second factor here; sign in with a password.')
        }
        options = await assertionOptions(mfaConfig, c, { purpose: 'login', userId: null }, [], now)
      } else {
        const jkt = await sessions.binding.atLogin(c)
        const { key, record } = await mfa.openTicket(c, readTicket(body), jkt)
        const existing = await mfaConfig.factors.listFactors(record.user.id)
        options = await assertionOptions(
          mfaConfig,
          c,
          { purpose: 'mfa', userId: record.user.id, ticket: key },
          existing,
          now,
        )
      }
      noStore(c)
      return c.json(options)
    })
    .post('/login/passkey', cookiePath, csrf, perIp, async (c) => {
      if (!mfaConfig.passkeyLogin) {
        throw invalidRequest('Passkeys are a second factor here; sign in with a password.')
      }
      const body = await readObject(c)
      const assertion = readAssertion(body.assertion)
      const jkt = await sessions.binding.atLogin(c)
      const now = config.now()
      let result
      try {
        result = await verifyAssertion(mfaConfig, c, assertion, 'login', { userId: null }, now)
      } catch (error) {
        if (error instanceof BffError && error.status === 401) {
          config.emit({
            type: 'mfa_failed',
            route: 'login_passkey',
            method: 'passkey',
            reason: 'invalid',
            userId: '',
            at: now,
            ...meta(c),
          })
        }
        throw error
      }
      if (!result.userVerified) throw refusedAssertion()
      const user = result.factor.passkey.user
      const issued = await sessions.login(user, presentedCookie(c), meta(c), c, jkt, {
        authTime: now,
        amr: [result.amr, 'mfa'],
        acr: ACR_MFA,
      })
      return respond(c, issued)
    })

  return {
    routes: new Hono().route('/', signedIn).route('/', signingIn),
    mfa,
    /** After a right password: `401 mfa_required` for a user with a factor. */
    challengeAtLogin: (c: Context, user: SessionUser, jkt: string | null) =>
      mfa.challengeAtLogin(c, user, jkt),
    /** Verifies a factor for `POST /reauthenticate` under the user's failure budget. */
    async verifyStepUp(c: Context, userId: string, body: Record<string, unknown>) {
      const answer = readFactorAnswer(body)
      if (answer.method === 'recovery_code') {
        throw invalidRequest('Step up with a TOTP code or a passkey (method "totp" or "passkey").')
      }
      try {
        return await checked(c, userId, () => mfa.verify(c, userId, answer, 'step_up'))
      } catch (error) {
        if (error instanceof BffError && error.status === 401) {
          mfa.emit(c, userId, {
            type: 'mfa_failed',
            route: 'reauthenticate',
            method: answer.method,
            reason: 'invalid',
          })
        }
        throw error
      }
    },
  }
}

/** @internal */
export type MfaRoutes = ReturnType<typeof mfaRoutes>
