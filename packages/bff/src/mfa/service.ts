/**
 * @module
 * Second factors at run time, one object made of three parts that share `service-deps.ts`:
 *
 * - `factors.ts`: enrolment and management (the list, TOTP enrolment, recovery codes, removal);
 * - `proofs.ts`: verification of a proof (a TOTP code, a recovery code, a passkey assertion), and
 *   the `amr` and `acr` it records;
 * - `tickets.ts`: the tickets of `401 mfa_required`.
 *
 * Routes are in `routes.ts`; what is stored and how, in `types.ts` and the stores.
 * @internal
 */
import type { BffConfig } from '../options.js'
import { createFactors } from './factors.js'
import type { MfaConfig } from './options.js'
import { createProofs, readFactorAnswer } from './proofs.js'
import { mfaDeps } from './service-deps.js'
import { createTickets } from './tickets.js'

// The package entry exports these two from here.
export { ACR_MFA } from './proofs.js'
export { MfaRequiredError } from './tickets.js'

/** @internal */
export function createMfa(config: BffConfig, mfa: MfaConfig) {
  const deps = mfaDeps(config, mfa)
  const factors = createFactors(deps)
  return {
    ...factors,
    ...createProofs(deps),
    ...createTickets(deps, factors.methodsOf),
    emit: deps.emit,
    readFactorAnswer,
  }
}

/** @internal */
export type Mfa = ReturnType<typeof createMfa>
