/**
 * @module
 * The routes of second factors (`createBff({ mfa })`), beside the auth routes under `{base}`:
 *
 * - Signed in (bearer token of a live session), under `/factors` (`factor-routes.ts`): `GET
 *   /factors` (`FactorListBody`), `POST /factors/totp` (enrol), `POST /factors/totp/:id/confirm`,
 *   `POST /factors/recovery-codes`, `POST /factors/passkey/options`, `POST /factors/passkey`,
 *   `DELETE /factors/:id`; and `POST /reauthenticate/passkey/options` for a step-up by passkey.
 *   Adding or removing a factor is sensitive: it needs a recent proof (`freshAuthMaxAge`).
 * - Signing in (cookie routes: CSRF, refresh-cookie rules as login; `login-routes.ts`):
 *   `POST /login/mfa` (`LoginMfaBody`), `POST /login/passkey/options` and `POST /login/passkey`.
 *
 * Every route charges the `mfa` per-IP budget first; every code or assertion checked also counts
 * against the user (`limits.ts`) and, at `/login/mfa`, the ticket.
 */
import type { SessionUser } from '@baton/protocol'
import { Hono, type Context } from 'hono'
import { BffError } from '../errors.js'
import type { BffConfig } from '../options.js'
import { rateLimits } from '../rate-limit/limits.js'
import type { SessionService } from '../session-service.js'
import { factorRoutes } from './factor-routes.js'
import { factorBudget } from './limits.js'
import { loginRoutes } from './login-routes.js'
import type { MfaConfig } from './options.js'
import { readFactorAnswer } from './proofs.js'
import { invalidRequest, type MfaRouteDeps } from './route-deps.js'
import { createMfa } from './service.js'

/** @internal The routes, and the verifier `POST /reauthenticate` uses for a factor. */
export function mfaRoutes(config: BffConfig, mfaConfig: MfaConfig, sessions: SessionService) {
  const mfa = createMfa(config, mfaConfig)
  const budget = factorBudget(config)

  // Only a wrong code or assertion keeps the try it took.
  const checked: MfaRouteDeps['checked'] = async (c, userId, verify) => {
    await budget.take(c, userId)
    let wrong = false
    try {
      return await verify()
    } catch (error) {
      wrong = error instanceof BffError && (error.status === 401 || error.status === 403)
      throw error
    } finally {
      if (!wrong) await budget.giveBack(userId)
    }
  }

  const deps: MfaRouteDeps = {
    config,
    mfaConfig,
    sessions,
    mfa,
    perIp: rateLimits(config).perIp('mfa'),
    checked,
  }

  return {
    routes: new Hono().route('/', factorRoutes(deps)).route('/', loginRoutes(deps)),
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
