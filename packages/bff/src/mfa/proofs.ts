/**
 * @module
 * Checking one proof of a second factor (a TOTP code, a recovery code, a passkey assertion) at
 * `/login/mfa` or a step-up, and what it records.
 *
 * What a proof records (RFC 8176 `amr`, and Baton's `acr`). `amr` lists the methods of this
 * authentication only, the one `auth_time` dates: a step-up asks for no password, so it claims
 * none, and `mfa` is there exactly when the authentication itself took two factors.
 *
 * | proof                                     | `amr`                        | `acr`   |
 * | ----------------------------------------- | ---------------------------- | ------- |
 * | password                                  | `pwd`                        | none    |
 * | password + TOTP / recovery code           | `pwd`, `otp`, `mfa`          | `mfa`   |
 * | password + passkey                        | `pwd`, `hwk` or `swk`, `mfa` | `mfa`   |
 * | passkey alone (user verified)             | `hwk` or `swk`, `mfa`        | `mfa`   |
 * | step-up: TOTP                             | `otp`                        | `mfa`   |
 * | step-up: passkey (user verified, or not)  | `hwk` or `swk` (, `mfa`)     | `mfa`   |
 *
 * `hwk` for a passkey bound to its device, `swk` for a synced one (backup eligible). A passkey
 * user-verified (PIN or biometrics: a second factor inside the authenticator) is RFC 8176's `mfa`;
 * RFC 8176's `user` means presence, which every assertion has, so it is not listed. A step-up's
 * `acr` is the session's: its password at sign-in and the factor now make two.
 * @internal
 */
import type { FactorMethod } from '@baton/protocol'
import type { Context } from 'hono'
import { BffError } from '../errors.js'
import { readAssertion, verifyAssertion } from './passkeys.js'
import { hashRecoveryCode, normalizeRecoveryCode } from './secrets.js'
import type { MfaDeps } from './service-deps.js'
import { totpStep } from './totp.js'

/** Baton's `acr` for a sign-in or step-up with two factors (`requireAuth({ acr: ['mfa'] })`). */
export const ACR_MFA = 'mfa'

/** How a proof was made, for the session (`amr`, `acr`). */
export interface FactorProof {
  method: FactorMethod
  amr: string[]
  acr: string
}

/** A second factor as a request body gives it (`LoginMfaBody` without the ticket). */
export type FactorAnswer =
  { method: 'totp' | 'recovery_code'; code: string } | { method: 'passkey'; assertion: unknown }

const invalidRequest = (message: string) => new BffError(400, 'invalid_request', message)
const wrongCode = () =>
  new BffError(401, 'invalid_credentials', 'The code is wrong, expired or already used.')

/** @internal */
export function createProofs({ config, mfa, sealer, secretContext, confirmed }: MfaDeps) {
  const { factors } = mfa

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

  return {
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
      // At `/login/mfa` the ticket stands for the password just checked; a step-up has none.
      const withPassword = (methods: string[]) =>
        purpose === 'mfa' ? ['pwd', ...methods, 'mfa'] : methods
      if (answer.method === 'totp') {
        if (!(await verifyTotp(userId, answer.code, now))) throw wrongCode()
        return { method: 'totp', amr: withPassword(['otp']), acr: ACR_MFA }
      }
      if (answer.method === 'recovery_code') {
        const normalized = normalizeRecoveryCode(answer.code)
        const used =
          normalized !== null &&
          (await factors.useRecoveryCode(userId, hashRecoveryCode(userId, normalized), now))
        if (!used) throw wrongCode()
        return { method: 'recovery_code', amr: withPassword(['otp']), acr: ACR_MFA }
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
      const amr =
        purpose === 'mfa'
          ? withPassword([result.amr])
          : [result.amr, ...(result.userVerified ? ['mfa'] : [])]
      return { method: 'passkey', amr, acr: ACR_MFA }
    },
  }
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
