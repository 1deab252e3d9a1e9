/**
 * @module
 * The routes that finish a sign-in with a second factor (cookie routes: CSRF, refresh-cookie rules
 * as login): `POST /login/mfa` (`LoginMfaBody`), `POST /login/passkey/options` and
 * `POST /login/passkey`. Each answers with the grant of `POST /login`.
 * @internal
 */
import { DPOP_NONCE_HEADER, type GrantBody } from '@baton/protocol'
import { Hono, type Context } from 'hono'
import { cookiePathCheck } from '../cookie-path-check.js'
import { setSessionCookies } from '../cookies.js'
import { BffError, NO_SNIFF } from '../errors.js'
import { requireCsrfHeaders } from '../middleware/csrf.js'
import { requestMeta } from '../request-meta.js'
import { refreshCookieRules, type RefreshCookieEnv } from '../routes/refresh-cookie.js'
import type { Issued } from '../tokens/grant.js'
import { assertionOptions, readAssertion, refusedAssertion, verifyAssertion } from './passkeys.js'
import { ACR_MFA, readFactorAnswer } from './proofs.js'
import { invalidRequest, noStore, readObject, type MfaRouteDeps } from './route-deps.js'

const readTicket = (body: Record<string, unknown>): string => {
  const { ticket } = body
  if (typeof ticket !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(ticket)) {
    throw invalidRequest('ticket must be the ticket of the mfa_required answer.')
  }
  return ticket
}

/** @internal */
export function loginRoutes({ config, mfaConfig, sessions, mfa, perIp, checked }: MfaRouteDeps) {
  const csrf = requireCsrfHeaders(config)('login')
  const cookiePath = cookiePathCheck(config)
  const meta = (c: Context) => requestMeta(config, c)

  /** The grant a sign-in answers with, exactly as `POST /login`'s. */
  const respond = async (c: Context, issued: Issued) => {
    setSessionCookies(c, config, issued)
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

  // The one refresh cookie a sign-in ends first, as login reads it (never a tossed second).
  const { refreshCookie } = refreshCookieRules(config)

  return new Hono<RefreshCookieEnv>()
    .post('/login/mfa', cookiePath, csrf, perIp, refreshCookie('login'), async (c) => {
      const body = await readObject(c)
      const ticket = readTicket(body)
      const answer = readFactorAnswer(body)
      const jkt = await sessions.binding.atLogin(c)
      const { key, record } = await mfa.openTicket(c, ticket, jkt)
      const userId = record.user.id
      if (!record.methods.includes(answer.method)) {
        throw invalidRequest(`This account cannot sign in with ${answer.method}.`)
      }
      const proof = await mfa.judgeAlone(key, async () => {
        const { last } = await mfa.takeTry(key)
        let proven
        try {
          proven = await checked(c, userId, () => mfa.verify(c, userId, answer, 'mfa', key))
        } catch (error) {
          if (error instanceof BffError && error.status === 401) {
            await mfa.failTicket(c, key, userId, answer.method, last)
          } else {
            // Never judged (a 503, the per-user budget's 429, a malformed assertion): not a guess.
            await mfa.returnTry(key).catch(() => undefined)
          }
          throw error
        }
        await mfa.takeTicket(key)
        return proven
      })
      const issued = await sessions.login(record.user, c.var.refreshCookie, meta(c), c, jkt, {
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
    .post('/login/passkey', cookiePath, csrf, perIp, refreshCookie('login'), async (c) => {
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
      const issued = await sessions.login(user, c.var.refreshCookie, meta(c), c, jkt, {
        authTime: now,
        amr: [result.amr, 'mfa'],
        acr: ACR_MFA,
      })
      return respond(c, issued)
    })
}
