/**
 * @module
 * Second factors at run time: enrolment, verification of a proof (a TOTP code, a recovery code, a
 * passkey assertion), and the tickets of `401 mfa_required`. Routes are in `routes.ts`; what is
 * stored and how, in `types.ts` and the stores.
 *
 * What a proof records (RFC 8176 `amr`, and Baton's `acr`):
 *
 * | proof                          | `amr`                   | `acr`   |
 * | ------------------------------ | ----------------------- | ------- |
 * | password                       | `pwd`                   | none    |
 * | password + TOTP / recovery code| `pwd`, `otp`            | `mfa`   |
 * | password + passkey             | `pwd`, `hwk` or `swk`   | `mfa`   |
 * | passkey alone (user verified)  | `hwk` or `swk`, `mfa`   | `mfa`   |
 *
 * `hwk` for a passkey bound to its device, `swk` for a synced one (backup eligible). A passkey
 * alone is only accepted user-verified (PIN or biometrics: a second factor inside the
 * authenticator), hence RFC 8176's `mfa`; RFC 8176's `user` means presence, which every
 * assertion has, so it is not listed.
 * @internal
 */
import type { FactorListBody, FactorMethod, FactorSummary, SessionUser } from '@baton/protocol'
import type { Context } from 'hono'
import { generateCookie } from 'hono/cookie'
import { BffError } from '../errors.js'
import type { BffConfig } from '../options.js'
import { requestMeta } from '../request-meta.js'
import type { MfaEvent } from './events.js'
import type { MfaConfig } from './options.js'
import { readAssertion, verifyAssertion } from './passkeys.js'
import {
  digest,
  hashRecoveryCode,
  newRecoveryCodes,
  normalizeRecoveryCode,
  randomId,
  secretSealer,
} from './secrets.js'
import { newTotpSecret, totpStep, totpUri } from './totp.js'
import type { StoredFactor } from './types.js'

/** Baton's `acr` for a sign-in or step-up with two factors (`requireAuth({ acr: ['mfa'] })`). */
export const ACR_MFA = 'mfa'

/** The most factors (TOTP and passkeys, pending ones included) one user may have. */
export const MAX_FACTORS = 20

/** How a proof was made, for the session (`amr`, `acr`). */
export interface FactorProof {
  method: FactorMethod
  amr: string[]
  acr: string
}

/** A second factor as a request body gives it (`LoginMfaBody` without the ticket). */
export type FactorAnswer =
  { method: 'totp' | 'recovery_code'; code: string } | { method: 'passkey'; assertion: unknown }

/** @internal The pending sign-in a ticket names. */
export interface TicketRecord {
  user: SessionUser
  methods: FactorMethod[]
  /** SHA-256 of the HttpOnly cookie value that binds the ticket to its browser. */
  binder: string
  /** The DPoP key the login request was signed with, if any: `/login/mfa` must use the same. */
  jkt: string | null
  expiresAt: number
}

/** An event as the service gives it; `emit` adds who, when and from where. */
type EventInput<E extends MfaEvent = MfaEvent> = E extends unknown
  ? Omit<E, 'at' | 'ip' | 'userAgent' | 'userId'>
  : never

/** The cookie binding a ticket to the browser that got it. */
export const TICKET_COOKIE = { secure: '__Host-baton_mfa', plain: 'baton_mfa' } as const

const invalidRequest = (message: string) => new BffError(400, 'invalid_request', message)
const wrongCode = () =>
  new BffError(401, 'invalid_credentials', 'The code is wrong, expired or already used.')
/**
 * A wrong code on a bearer route (`/factors/…`): 403, not 401. A client takes a 401 there for a
 * refused token, refreshes and sends the code again, which costs a refresh and counts the
 * failure twice against the user's budget.
 */
export const refusedCode = () =>
  new BffError(403, 'invalid_credentials', 'The code is wrong, expired or already used.')
const ticketGone = () =>
  new BffError(
    401,
    'session_expired',
    'The sign-in ticket is unknown, used or expired; sign in again.',
  )

/**
 * `401 mfa_required`: the password was right and the user has a second factor. The body is
 * `MfaRequiredErrorBody` of `@baton/protocol`; the response also sets the cookie that binds the
 * ticket to this browser.
 */
export class MfaRequiredError extends BffError {
  constructor(
    readonly ticket: string,
    readonly methods: FactorMethod[],
    readonly expiresAt: number,
    cookie: string,
  ) {
    super(401, 'mfa_required', 'A second factor is required to finish signing in.', {
      headers: { 'set-cookie': cookie, 'cache-control': 'no-store' },
    })
  }

  override getResponse(): Response {
    const res = super.getResponse()
    const body = {
      error: {
        code: 'mfa_required' as const,
        message: this.message,
        ticket: this.ticket,
        methods: this.methods,
        expiresAt: this.expiresAt,
      },
    }
    return new Response(JSON.stringify(body), { status: res.status, headers: res.headers })
  }
}

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
export function createMfa(config: BffConfig, mfa: MfaConfig) {
  const { factors } = mfa
  const sealer = secretSealer(mfa.keys)
  const secretContext = (factor: Pick<StoredFactor, 'userId' | 'id'>) =>
    `${factor.userId}:${factor.id}`
  const ticketCookieName = config.cookie.secure ? TICKET_COOKIE.secure : TICKET_COOKIE.plain

  const emit = (c: Context, userId: string, event: EventInput) =>
    config.emit({ ...event, userId, at: config.now(), ...requestMeta(config, c) })
  const ticketCookie = (value: string, maxAge: number) =>
    generateCookie(ticketCookieName, value, {
      path: '/',
      httpOnly: true,
      secure: config.cookie.secure,
      sameSite: 'Strict',
      maxAge,
    })

  const confirmed = (list: StoredFactor[]) => list.filter((f) => f.confirmedAt !== null)

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

  /** Checks a TOTP code against each confirmed TOTP factor; the store refuses a reused step. */
  const verifyTotp = async (userId: string, code: string, now: number) => {
    for (const factor of confirmed(await factors.listFactors(userId))) {
      if (factor.method !== 'totp' || factor.sealedSecret === null) continue
      const secret = await sealer.open(factor.sealedSecret, secretContext(factor))
      if (secret === null) {
        config.logger.error(`[baton] mfa: the secret of factor ${factor.id} does not open`)
        continue
      }
      const step = totpStep(secret, code, now)
      if (step !== null && (await factors.acceptTotpStep(userId, factor.id, step, now, false))) {
        return true
      }
    }
    return false
  }

  /** Replaces the user's recovery codes with ten new ones, returned this once. */
  const newCodes = async (c: Context, userId: string): Promise<string[]> => {
    const codes = newRecoveryCodes()
    const hashes = await Promise.all(
      codes.map((code) => hashRecoveryCode(userId, normalizeRecoveryCode(code)!)),
    )
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
      if (confirmed(existing).length >= MAX_FACTORS) {
        throw invalidRequest(`A user can have at most ${MAX_FACTORS} factors.`)
      }
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
      const factor = (await factors.listFactors(userId)).find((f) => f.id === factorId)
      if (!factor || factor.method !== 'totp' || factor.confirmedAt !== null) {
        throw new BffError(404, 'not_found', 'No pending TOTP enrolment of yours has this id.')
      }
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

    /**
     * Checks one proof of a second factor for `userId` (login with a ticket, or step-up). Throws
     * `401 invalid_credentials` for a wrong, reused or refused one.
     */
    async verify(
      c: Context,
      userId: string,
      answer: FactorAnswer,
      purpose: 'mfa' | 'step_up',
      ticket?: string,
    ): Promise<FactorProof> {
      const now = config.now()
      if (answer.method === 'totp') {
        if (!(await verifyTotp(userId, answer.code, now))) throw wrongCode()
        return { method: 'totp', amr: ['pwd', 'otp'], acr: ACR_MFA }
      }
      if (answer.method === 'recovery_code') {
        const normalized = normalizeRecoveryCode(answer.code)
        const used =
          normalized !== null &&
          (await factors.useRecoveryCode(userId, await hashRecoveryCode(userId, normalized), now))
        if (!used) throw wrongCode()
        return { method: 'recovery_code', amr: ['pwd', 'otp'], acr: ACR_MFA }
      }
      if (answer.method !== 'passkey') throw wrongCode()
      const assertion = readAssertion(answer.assertion)
      const result = await verifyAssertion(
        mfa,
        c,
        assertion,
        purpose,
        { userId, ...(ticket === undefined ? {} : { ticket }) },
        now,
      )
      return { method: 'passkey', amr: ['pwd', result.amr], acr: ACR_MFA }
    },

    /**
     * After a right password: throws {@link MfaRequiredError} with a new ticket when the user has
     * a confirmed factor; returns when they have none.
     */
    async challengeAtLogin(c: Context, user: SessionUser, jkt: string | null): Promise<void> {
      const methods = await methodsOf(user.id)
      if (methods.length === 0) return
      const now = config.now()
      const ticket = randomId(32)
      const binder = randomId(32)
      const expiresAt = now + mfa.ticketTtlMs
      const record: TicketRecord = { user, methods, binder: await digest(binder), jkt, expiresAt }
      await factors.putPending(`t:${await digest(ticket)}`, JSON.stringify(record), expiresAt, now)
      emit(c, user.id, {
        type: 'mfa_challenged',
        route: 'login',
        method: null,
        reason: 'challenged',
      })
      const cookie = ticketCookie(binder, Math.ceil(mfa.ticketTtlMs / 1000))
      throw new MfaRequiredError(ticket, methods, expiresAt, cookie)
    },

    /**
     * The pending sign-in `ticket` names, if this browser holds it (its binding cookie, and the
     * same DPoP key as the login): `401 session_expired` otherwise.
     */
    async openTicket(c: Context, ticket: string, jkt: string | null) {
      const key = `t:${await digest(ticket)}`
      const stored = await factors.getPending(key, config.now())
      if (stored === null) throw ticketGone()
      const record = JSON.parse(stored) as TicketRecord
      const binder = cookieValue(c, ticketCookieName)
      if (binder === null || (await digest(binder)) !== record.binder || record.jkt !== jkt) {
        throw ticketGone()
      }
      return { key, record }
    },

    /** Counts a failed try against a ticket; the last allowed one ends it. */
    async failTicket(c: Context, key: string, userId: string, method: FactorMethod) {
      const tries = await factors.failPending(key, config.now())
      const exhausted = tries === null || tries >= mfa.maxTicketTries
      if (exhausted) await factors.takePending(key, config.now())
      emit(c, userId, {
        type: 'mfa_failed',
        route: 'login_mfa',
        method,
        reason: exhausted ? 'too_many_tries' : 'invalid',
      })
    },

    /** Takes the ticket for the sign-in it names: once. */
    async takeTicket(key: string) {
      if ((await factors.takePending(key, config.now())) === null) throw ticketGone()
    },

    /** The `Set-Cookie` that drops the ticket's binding cookie. */
    clearedTicketCookie: () => ticketCookie('', 0),

    emit,
    readFactorAnswer,
  }
}

/** The single value of cookie `name`, or `null` when absent or sent more than once. */
function cookieValue(c: Context, name: string): string | null {
  const values = (c.req.header('cookie') ?? '')
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${name}=`))
    .map((part) => part.slice(name.length + 1))
  return values.length === 1 && values[0] !== '' ? values[0]! : null
}

/** @internal Reads `{ method, code }` or `{ method: 'passkey', assertion }` from a body. */
export function readFactorAnswer(body: Record<string, unknown>): FactorAnswer {
  const { method } = body
  if (method === 'totp' || method === 'recovery_code') {
    const { code } = body
    if (typeof code !== 'string' || code.length === 0 || code.length > 64) {
      throw invalidRequest('code must be a non-empty string of at most 64 characters.')
    }
    return { method, code }
  }
  if (method === 'passkey') return { method, assertion: body.assertion }
  throw invalidRequest('method must be "totp", "recovery_code" or "passkey".')
}

/** @internal */
export type Mfa = ReturnType<typeof createMfa>
