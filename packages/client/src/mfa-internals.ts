/**
 * @module
 * What the second-factor subpaths (`@baton/client/mfa`, `@baton/client/passkeys`) need of a
 * session client beyond its public surface: the options, the step-up-aware `fetch`, and the
 * passkey sign-in, which must run inside the client (cross-tab lock, device key, adoption by every
 * tab). Kept off the public type, keyed by the client object, so the core pays a few bytes for
 * it and apps that never use second factors pay nothing more.
 */
import type { BaseUser, PasskeyAssertion } from '@baton/protocol'
import { BatonError } from './errors.js'
import type { ClientConfig } from './options.js'
import type { StepUpAwareFetch } from './session-routes.js'

/** @internal */
export interface ClientInternals {
  config: ClientConfig
  fetch: StepUpAwareFetch
  /** A passwordless sign-in: resolves with the user, like `login()`. */
  loginPasskey(assertion: PasskeyAssertion): Promise<BaseUser>
}

const registry = new WeakMap<object, ClientInternals>()

/** @internal Called once by `createSessionClient()`. */
export const registerInternals = (client: object, internals: ClientInternals) =>
  void registry.set(client, internals)

/**
 * @internal The internals of `client`; throws a `TypeError` for anything else (a client of
 * another copy of this package, whose internals this copy cannot drive).
 */
export function internalsOf(client: object): ClientInternals {
  const internals = registry.get(client)
  if (!internals) throw new TypeError('Not a session client of this @baton/client.')
  return internals
}

/** @internal The error of an answer that is 2xx but not the body the route promises. */
export const unexpected = (status: number) =>
  new BatonError('request_failed', 'Unexpected BFF response.', { status })
