/**
 * @module
 * A user's second factors as they manage them, signed in (`/factors`): the list, TOTP enrolment
 * and its confirmation, recovery codes, removal; and the methods that can finish their sign-in.
 * A passkey is registered by a WebAuthn ceremony instead (`passkeys.ts`, `factor-routes.ts`).
 * @internal
 */
import type { FactorListBody, FactorMethod, FactorSummary, SessionUser } from '@baton/protocol'
import type { Context } from 'hono'
import { BffError } from '../errors.js'
import { hashRecoveryCode, newRecoveryCodes, normalizeRecoveryCode, randomId } from './secrets.js'
import type { MfaDeps } from './service-deps.js'
import { newTotpSecret, totpStep, totpUri } from './totp.js'
import type { StoredFactor } from './types.js'

/** The most factors (TOTP and passkeys, pending ones included) one user may have. */
export const MAX_FACTORS = 20

const invalidRequest = (message: string) => new BffError(400, 'invalid_request', message)

/** @internal The answer to a factor past {@link MAX_FACTORS}, from the routes and the stores. */
export const tooManyFactors = () =>
  invalidRequest(`A user can have at most ${MAX_FACTORS} factors.`)

/**
 * @internal Throws `400 invalid_request` unless a user with `existing` factors (other than the one
 * `adding`, a pending enrolment being confirmed) may add one. Checked where a ceremony starts and
 * again where its factor is stored: ceremonies started together each passed the first check.
 */
export function assertRoomForFactor(existing: readonly StoredFactor[], adding?: string): void {
  if (existing.filter((factor) => factor.id !== adding).length >= MAX_FACTORS) {
    throw tooManyFactors()
  }
}

/**
 * A wrong code on a bearer route (`/factors/…`): 403, not 401. A client takes a 401 there for a
 * refused token, refreshes and sends the code again, which costs a refresh and counts the
 * failure twice against the user's budget.
 */
export const refusedCode = () =>
  new BffError(403, 'invalid_credentials', 'The code is wrong, expired or already used.')

/** @internal A factor as `GET /factors` lists it: nothing secret. */
export const factorSummary = (factor: StoredFactor): FactorSummary => ({
  id: factor.id,
  method: factor.method,
  label: factor.label,
  createdAt: factor.createdAt,
  lastUsedAt: factor.lastUsedAt,
  ...(factor.passkey ? { backedUp: factor.backedUp } : {}),
})

/** @internal The account name authenticator apps and passkey prompts show. */
export function accountName(user: SessionUser): string {
  for (const claim of ['email', 'preferred_username', 'username', 'name']) {
    const value = user[claim]
    if (typeof value === 'string' && value !== '') return value
  }
  return user.id
}

/** @internal */
export function createFactors({ config, mfa, sealer, secretContext, emit, confirmed }: MfaDeps) {
  const { factors } = mfa

  /** The methods a user can finish a sign-in with; empty when they need no second factor. */
  const methodsOf = async (userId: string): Promise<FactorMethod[]> => {
    const own = confirmed(await factors.listFactors(userId))
    if (own.length === 0) return []
    const methods: FactorMethod[] = []
    if (own.some((f) => f.method === 'totp')) methods.push('totp')
    if (own.some((f) => f.method === 'passkey')) methods.push('passkey')
    if ((await factors.countRecoveryCodes(userId)) > 0) methods.push('recovery_code')
    return methods
  }

  /** Replaces the user's recovery codes with ten new ones, returned this once. */
  const newCodes = async (c: Context, userId: string): Promise<string[]> => {
    const codes = newRecoveryCodes()
    const hashes = codes.map((code) => hashRecoveryCode(userId, normalizeRecoveryCode(code)!))
    await factors.replaceRecoveryCodes(userId, hashes, config.now())
    emit(c, userId, { type: 'factor_added', method: 'recovery_code', factorId: null })
    return codes
  }

  return {
    methodsOf,

    /** `GET /factors`. */
    async list(userId: string): Promise<FactorListBody> {
      const [all, left] = await Promise.all([
        factors.listFactors(userId),
        factors.countRecoveryCodes(userId),
      ])
      return { factors: confirmed(all).map(factorSummary), recoveryCodesLeft: left }
    },

    /** Starts a TOTP enrolment: a pending factor, its secret and URI (shown this once). */
    async enrolTotp(user: SessionUser, label: string) {
      const now = config.now()
      const existing = await factors.listFactors(user.id)
      // An enrolment nobody confirmed is dropped when another starts.
      for (const factor of existing) {
        if (factor.method === 'totp' && factor.confirmedAt === null) {
          await factors.deleteFactor(user.id, factor.id)
        }
      }
      assertRoomForFactor(confirmed(existing))
      const secret = newTotpSecret()
      const id = randomId()
      await factors.createFactor(
        {
          id,
          userId: user.id,
          method: 'totp',
          label,
          createdAt: now,
          confirmedAt: null,
          lastUsedAt: null,
          lastStep: -1,
          counter: 0,
          backedUp: false,
          sealedSecret: await sealer.seal(secret, secretContext({ userId: user.id, id })),
          passkey: null,
        },
        now,
      )
      return { id, label, secret, uri: totpUri(secret, mfa.issuer, accountName(user)) }
    },

    /**
     * Confirms a TOTP enrolment with its first code. The first factor of a user comes with ten
     * recovery codes, shown this once.
     */
    async confirmTotp(c: Context, userId: string, factorId: string, code: string) {
      const now = config.now()
      const existing = await factors.listFactors(userId)
      const factor = existing.find((f) => f.id === factorId)
      if (!factor || factor.method !== 'totp' || factor.confirmedAt !== null) {
        throw new BffError(404, 'not_found', 'No pending TOTP enrolment of yours has this id.')
      }
      assertRoomForFactor(existing, factorId)
      const secret = await sealer.open(factor.sealedSecret ?? '', secretContext(factor))
      const step = secret === null ? null : totpStep(secret, code, now)
      if (step === null || !(await factors.acceptTotpStep(userId, factorId, step, now, true))) {
        throw refusedCode()
      }
      emit(c, userId, { type: 'factor_added', method: 'totp', factorId })
      const recoveryCodes =
        (await factors.countRecoveryCodes(userId)) === 0 ? await newCodes(c, userId) : null
      const summary = factorSummary({ ...factor, confirmedAt: now, lastUsedAt: now })
      return { factor: summary, ...(recoveryCodes ? { recoveryCodes } : {}) }
    },

    newCodes,

    /** Removes a factor; the last one takes the recovery codes with it. */
    async remove(c: Context, userId: string, factorId: string) {
      const factor = (await factors.listFactors(userId)).find((f) => f.id === factorId)
      if (!factor || !(await factors.deleteFactor(userId, factorId))) {
        throw new BffError(404, 'not_found', 'No factor of yours has this id.')
      }
      if (confirmed(await factors.listFactors(userId)).length === 0) {
        await factors.replaceRecoveryCodes(userId, [], config.now())
      }
      emit(c, userId, { type: 'factor_removed', method: factor.method, factorId })
    },
  }
}
