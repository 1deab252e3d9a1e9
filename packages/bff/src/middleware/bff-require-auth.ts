/**
 * @module
 * `bff.requireAuth()`: {@link requireAuth} with what the BFF already knows filled in, so a service
 * in the same process never repeats the issuer, the audience or the token lifetime.
 */
import { parseDuration } from '@baton/protocol'
import type { MiddlewareHandler } from 'hono'
import type { RequireAuthVariables } from '../env.js'
import type { BffConfig } from '../options.js'
import type { DpopMode, RequireAuthDpop } from '../dpop/options.js'
import { requireAuth } from './require-auth.js'
import type { RequireAuthOptions } from './require-auth-options.js'

/**
 * Options of `bff.requireAuth()`: those of {@link RequireAuthOptions} the BFF cannot know.
 * `jwks`, `issuer` and `audience` are always the BFF's own, and under `binding: 'required'` so is
 * the `dpop` mode: unbound tokens are refused, and `'allowed'` is a `TypeError`.
 *
 * @example
 * ```ts
 * // A route that only needs a valid signature, on a clock with more tolerance.
 * app.use('/api/public-feed/*', bff.requireAuth({ checkRevoked: false, clockTolerance: '30s' }))
 * // A sensitive route: a sign-in (or step-up) at most 5 minutes old, else 401 step_up_required.
 * app.post('/api/transfer', bff.requireAuth({ maxAge: '5m' }), (c) => c.json({ ok: true }))
 * ```
 */
export interface BffRequireAuthOptions extends Omit<
  RequireAuthOptions,
  'jwks' | 'issuer' | 'audience' | 'checkRevoked'
> {
  /**
   * Where revocations come from: the BFF's store by default, so a token stops working the moment
   * its session ends (logout, "sign out everywhere", reuse, `bff.admin`). `false` checks
   * signatures and claims only: a token then lives until its `exp`.
   * @default the BFF's `store`
   */
  checkRevoked?: RequireAuthOptions['checkRevoked'] | false
}

/** `requireAuth()`'s own default, kept unless the BFF's tokens outlive it. */
const DEFAULT_RETENTION_MS = 60 * 60 * 1000

/** The mode of `requireAuth()` under `binding: 'required'`, for `where` to name when refusing. */
function modeOf(binding: BffConfig['binding'], given: DpopMode | undefined, where: string) {
  // Any other mode given is `'required'`, or a mistake `requireAuth()` names itself.
  if (binding.policy !== 'required' || (given !== undefined && given !== 'allowed')) return given
  // An unbound token (issued before the switch, or by an instance still binding if supported)
  // would otherwise pass as a bearer token until its `exp`, while its session can no longer be
  // refreshed: a route of this BFF must refuse it as the BFF does.
  if (given === 'allowed') {
    throw new TypeError(
      `${where}: dpop mode "allowed" would accept unbound tokens, which binding "required" refuses`,
    )
  }
  return 'required'
}

/**
 * The BFF's proof settings (its `dpop` option: origins, window, nonces), its replay cache (the
 * store), so a proof spent at the BFF or at any instance is spent here too, and its `binding`
 * policy as the mode; what the caller gives overrides the settings, never a `'required'` policy.
 */
function boundDpop(
  binding: BffConfig['binding'],
  given: RequireAuthDpop | undefined,
  where: string,
): RequireAuthDpop {
  const inherited = { ...binding.options, replay: binding.replay }
  const settings: Exclude<RequireAuthDpop, DpopMode> =
    given === undefined
      ? inherited
      : typeof given === 'string'
        ? { ...inherited, mode: given }
        : { ...inherited, ...given }
  const mode = modeOf(binding, settings.mode, where)
  return mode === undefined ? settings : { ...settings, mode }
}

/**
 * @internal The bearer check of the BFF's own token routes (`/sessions`, `/reauthenticate`): its
 * keys, issuer, audience and token lifetime, and DPoP proofs checked as the BFF's `binding` says
 * (its origins, nonces and the store's replay cache, so a proof spent on one instance is spent on
 * every one).
 */
export const ownTokenCheck = (
  config: Pick<BffConfig, 'keys' | 'issuer' | 'audience' | 'accessTokenTtlMs' | 'now' | 'binding'>,
) =>
  requireAuth({
    jwks: config.keys,
    issuer: config.issuer,
    audience: config.audience,
    // The BFF knows the lifetime of its tokens; it refuses any older one.
    maxTokenAge: config.accessTokenTtlMs,
    now: config.now,
    dpop: boundDpop(config.binding, undefined, 'createBff'),
  })

/** @internal `bff.requireAuth`, bound to one BFF's configuration. */
export function bffRequireAuth(
  config: Pick<
    BffConfig,
    'keys' | 'issuer' | 'audience' | 'accessTokenTtlMs' | 'store' | 'now' | 'binding'
  >,
) {
  return function boundRequireAuth(
    options: BffRequireAuthOptions = {},
  ): MiddlewareHandler<{ Variables: RequireAuthVariables }> {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('bff.requireAuth: options must be an object')
    }
    const { checkRevoked = config.store, ...rest } = options
    const maxTokenAge = rest.maxTokenAge ?? config.accessTokenTtlMs
    // A BFF with tokens longer than an hour would otherwise trip requireAuth's own check that the
    // revocation memory outlasts the oldest acceptable token: the default grows with the tokens.
    const revokedRetention =
      rest.revokedRetention ??
      Math.max(
        DEFAULT_RETENTION_MS,
        parseDuration(maxTokenAge, 'requireAuth: maxTokenAge') +
          parseDuration(rest.clockTolerance ?? '5s', 'requireAuth: clockTolerance'),
      )
    return requireAuth({
      now: config.now,
      ...rest,
      jwks: config.keys,
      issuer: config.issuer,
      audience: config.audience,
      maxTokenAge,
      revokedRetention,
      ...(checkRevoked === false ? {} : { checkRevoked }),
      dpop: boundDpop(config.binding, rest.dpop, 'bff.requireAuth'),
    })
  }
}
