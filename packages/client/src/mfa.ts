/**
 * @module
 * `@baton/client/mfa`: the signed-in user's second factors (`{base}/factors`): list them, enrol an
 * authenticator app (TOTP), confirm it with a first code, get new recovery codes, remove one.
 * Passkeys are `@baton/client/passkeys` (it needs WebAuthn, this does not). Finishing a sign-in
 * that asked for a second factor needs neither: `MfaRequiredError.complete()`, in the core.
 *
 * Every call goes through `baton.fetch` (bearer token, DPoP proof when the session is bound, the
 * queue, one retry after a 401), bounded by `requestTimeout`; a removal the BFF wants a recent
 * sign-in for waits for the step-up like any request (`store.stepUp` is set; answer it with
 * `reauthenticate()`, with a password, a code or a passkey).
 */
import { AUTH_ROUTES, type FactorListBody, type FactorSummary } from '@baton/protocol'
import type { SessionClient } from './client.js'
import { isId, type Unchecked } from './grant.js'
import { bearerCall, factorOf } from './factor-calls.js'
import { internalsOf, unexpected } from './mfa-internals.js'

export type { FactorListBody, FactorMethod, FactorSummary } from '@baton/protocol'

/** What enrolling an authenticator app answers: shown once, until the first code confirms it. */
export interface TotpEnrollment {
  /** The factor's id, for {@link FactorRoutes.confirmTotp}. */
  id: string
  /** The shared secret, base32: for typing into an app that cannot scan the code. */
  secret: string
  /** The `otpauth://totp/…` URI to render as a QR code for the authenticator app. */
  uri: string
}

/** What confirming an enrolment answers. */
export interface TotpConfirmation {
  /** The factor, as {@link FactorRoutes.list} lists it. */
  factor: FactorSummary
  /** With the user's first factor: ten recovery codes, shown this once. */
  recoveryCodes?: string[]
}

/**
 * The signed-in user's second factors, as {@link createFactors} returns them. Each call rejects
 * with a `BatonError`: `SessionExpiredError` when signed out, `RefreshNetworkError` when the BFF
 * cannot be reached, `invalid_credentials` for a wrong code, `not_found`, `rate_limited`, ….
 */
export interface FactorRoutes {
  /** The user's factors (no secret, ever) and how many unused recovery codes are left. */
  list(): Promise<FactorListBody>
  /**
   * Starts enrolling an authenticator app. The factor counts once {@link FactorRoutes.confirmTotp}
   * proves the app has the secret; until then it signs nobody in.
   */
  enrollTotp(options?: { label?: string }): Promise<TotpEnrollment>
  /**
   * Confirms an enrolment with the app's first code. The user's first factor comes with their
   * recovery codes (`recoveryCodes`), shown this once. Rejects with `invalid_credentials`.
   */
  confirmTotp(id: string, code: string): Promise<TotpConfirmation>
  /**
   * Ten new recovery codes; the old ones stop working. Show them once: the BFF keeps only their
   * hashes, and nobody can show them again.
   */
  regenerateRecoveryCodes(): Promise<string[]>
  /**
   * Removes a factor. The BFF may ask for a recent sign-in first: the call then waits for
   * `reauthenticate()` (`store.stepUp` is set), and rejects with `StepUpRequiredError` when the
   * step-up is cancelled or times out.
   */
  remove(id: string): Promise<void>
}

const FACTORS = AUTH_ROUTES.factors

const codesOf = (value: unknown): string[] => {
  if (!Array.isArray(value) || !value.every(isId)) throw unexpected(200)
  return value
}

/**
 * The second-factor routes of `client`'s user. Create it once, beside the client; it holds no
 * state of its own.
 *
 * @param client - A session client made by `createSessionClient()` of this package.
 * @throws `TypeError` for any other object.
 *
 * @example
 * ```ts
 * import { createFactors } from '@baton/client/mfa'
 *
 * const factors = createFactors(baton)
 * const { id, uri } = await factors.enrollTotp({ label: 'Phone' })
 * showQrCode(uri)
 * await factors.confirmTotp(id, await askForCode())
 * showOnce(await factors.regenerateRecoveryCodes())
 * ```
 */
export function createFactors(client: Pick<SessionClient, 'fetch'>): FactorRoutes {
  internalsOf(client)
  const call = (method: 'GET' | 'POST' | 'DELETE', path: string, json?: unknown) =>
    bearerCall(client, method, path, json)
  return {
    async list() {
      const body = (await call('GET', FACTORS)) as Unchecked<FactorListBody> | undefined
      const factors = body?.factors
      if (!Array.isArray(factors) || typeof body?.recoveryCodesLeft !== 'number') {
        throw unexpected(200)
      }
      return body as FactorListBody
    },
    async enrollTotp(options = {}) {
      const body = (await call('POST', `${FACTORS}/totp`, options)) as
        Unchecked<TotpEnrollment> | undefined
      const { id, secret, uri } = body ?? {}
      if (!isId(id) || !isId(secret) || typeof uri !== 'string' || !uri.startsWith('otpauth://')) {
        throw unexpected(200)
      }
      return { id, secret, uri }
    },
    async confirmTotp(id, code) {
      const path = `${FACTORS}/totp/${encodeURIComponent(id)}/confirm`
      const body = (await call('POST', path, { code })) as Unchecked<TotpConfirmation> | undefined
      const factor = factorOf(body?.factor)
      const { recoveryCodes } = body ?? {}
      if (recoveryCodes === undefined) return { factor }
      return { factor, recoveryCodes: codesOf(recoveryCodes) }
    },
    async regenerateRecoveryCodes() {
      const body = (await call('POST', `${FACTORS}/recovery-codes`)) as
        Unchecked<Required<TotpConfirmation>> | undefined
      return codesOf(body?.recoveryCodes)
    },
    async remove(id) {
      await call('DELETE', `${FACTORS}/${encodeURIComponent(id)}`)
    },
  }
}
