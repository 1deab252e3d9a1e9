/**
 * @module
 * The signed-in routes of second factors (bearer token of a live session), under `/factors`:
 * `GET /factors` (`FactorListBody`), `POST /factors/totp` (enrol), `POST /factors/totp/:id/confirm`,
 * `POST /factors/recovery-codes`, `POST /factors/passkey/options`, `POST /factors/passkey`,
 * `DELETE /factors/:id`; and `POST /reauthenticate/passkey/options` for a step-up by passkey.
 * Adding or removing a factor is sensitive: it needs a recent proof (`freshAuthMaxAge`), and from a
 * user who has a second factor, a proof of one (`acr` `mfa`).
 * @internal
 */
import { Hono, type Context } from 'hono'
import { BffError } from '../errors.js'
import { ownTokenCheck } from '../middleware/bff-require-auth.js'
import {
  freshAuthCheck,
  requireLiveSession,
  type LiveSessionEnv,
} from '../middleware/live-session.js'
import { accountName, assertRoomForFactor, factorSummary } from './factors.js'
import { assertionOptions, registrationOptions, verifyRegistration } from './passkeys.js'
import { ACR_MFA, readFactorAnswer } from './proofs.js'
import { invalidRequest, noStore, readObject, type MfaRouteDeps } from './route-deps.js'
import { randomId } from './secrets.js'

const MAX_LABEL = 64
// A label is shown back in lists of factors; a control character there is never a name, and a NUL
// is more: PostgreSQL's JSONB refuses it, which answered `503 store_unavailable` for a bad input.
// So does a lone UTF-16 surrogate (`"\ud800"` is valid JSON, but no Unicode text), which the other
// stores kept: refused too, so every store gives the same answer.
const NOT_TEXT = /[\p{Cc}\p{Cs}]/u

function readLabel(body: Record<string, unknown>, fallback: string): string {
  const { label } = body
  if (label === undefined) return fallback
  if (
    typeof label !== 'string' ||
    label.trim() === '' ||
    label.length > MAX_LABEL ||
    NOT_TEXT.test(label)
  ) {
    throw invalidRequest(
      `label must be a non-empty string of at most ${MAX_LABEL} characters, without control characters or lone surrogates.`,
    )
  }
  return label.trim()
}

/** @internal */
export function factorRoutes({ config, mfaConfig, sessions, mfa, perIp, checked }: MfaRouteDeps) {
  const requireFreshPassword = freshAuthCheck(config)
  const requireFreshFactor = freshAuthCheck(config, [ACR_MFA])
  // A password alone must not change the factors of an account that has one: whoever holds a
  // stolen session and a phished or reused password could otherwise remove the authenticator or
  // mint recovery codes, and keep the account after the session is revoked. Re-authentication
  // is asked at the account's own level (NIST SP 800-63B §6.1.2.3, OWASP ASVS V6).
  const requireFreshAuth = async (c: Context<LiveSessionEnv>) => {
    const hasFactor = (await mfa.methodsOf(c.var.userId)).length > 0
    ;(hasFactor ? requireFreshFactor : requireFreshPassword)(c)
  }
  // The step-up options too: they list the user's passkeys, which an ended session must not read.
  const signedIn = [perIp, ownTokenCheck(config), requireLiveSession(sessions)] as const

  return new Hono<LiveSessionEnv>()
    .use('/factors/*', ...signedIn)
    .use('/reauthenticate/passkey/options', ...signedIn)
    .get('/factors', async (c) => {
      noStore(c)
      return c.json(await mfa.list(c.var.userId))
    })
    .post('/factors/totp', async (c) => {
      await requireFreshAuth(c)
      const label = readLabel(await readObject(c, true), 'Authenticator app')
      noStore(c)
      return c.json(await mfa.enrolTotp(c.var.session.user, label), 201)
    })
    .post('/factors/totp/:id/confirm', async (c) => {
      // The factor counts from here, so the proof is asked for here too, not only at the start:
      // a pending enrolment is listed nowhere and never expires, so one started while the account
      // had no factor (a password sufficed) could otherwise be confirmed later, by a stale token,
      // after the owner added a factor of their own.
      await requireFreshAuth(c)
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
      await requireFreshAuth(c)
      if ((await mfa.methodsOf(c.var.userId)).length === 0) {
        throw invalidRequest('Recovery codes back up a second factor: add one first.')
      }
      noStore(c)
      return c.json({ recoveryCodes: await mfa.newCodes(c, c.var.userId) })
    })
    .post('/factors/passkey/options', async (c) => {
      await requireFreshAuth(c)
      const user = c.var.session.user
      const existing = await mfaConfig.factors.listFactors(user.id)
      assertRoomForFactor(existing)
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
      await requireFreshAuth(c)
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
      assertRoomForFactor(existing)
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
      await requireFreshAuth(c)
      await mfa.remove(c, c.var.userId, c.req.param('id'))
      return c.body(null, 204)
    })
    .post('/reauthenticate/passkey/options', async (c) => {
      // Refused before the ceremony, not after it: the step-up it is for would be
      // (`binding: 'required'` and an unbound session).
      sessions.binding.assertRenewable(c.var.session)
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
}
