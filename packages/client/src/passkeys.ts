/**
 * @module
 * `@baton/client/passkeys`: passkeys (WebAuthn Level 3) through `@simplewebauthn/browser`: register
 * one for the signed-in user, sign in with one and no password, and get the assertion that
 * finishes a sign-in asking for a second factor or answers a step-up. Its own entry, so an app
 * that never uses passkeys ships none of WebAuthn.
 *
 * A ceremony the user cancels, or one the browser refuses (no authenticator, wrong origin),
 * rejects with `@simplewebauthn/browser`'s `WebAuthnError` (its `code` says which, e.g.
 * `ERROR_CEREMONY_ABORTED`) or the browser's `NotAllowedError`: nothing was sent to the BFF.
 */
import { AUTH_ROUTES, CSRF_HEADER, CSRF_HEADER_VALUE, type FactorSummary } from '@baton/protocol'
import type { BaseUser, PasskeyAssertion } from '@baton/protocol'
import {
  startAuthentication,
  startRegistration,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser'
import { exchange, failureOf } from './bff-exchange.js'
import type { SessionClient } from './client.js'
import { RefreshNetworkError } from './errors.js'
import { isId, isObject } from './grant.js'
import { bearerCall, factorOf } from './factor-calls.js'
import { internalsOf, unexpected } from './mfa-internals.js'
import type { RegisteredUser } from './register.js'
import type { MfaChallenge } from './request-errors.js'

export { browserSupportsWebAuthn, WebAuthnError } from '@simplewebauthn/browser'
export type { PasskeyAssertion } from '@baton/protocol'

/** The ceremony's options the BFF answered with (as `@simplewebauthn/server` made them). */
const optionsIn = <T>(options: unknown): T => {
  if (!isObject(options) || !isId(options.challenge)) throw unexpected(200)
  return options as T
}

const ceremony = async (optionsJSON: PublicKeyCredentialRequestOptionsJSON) =>
  (await startAuthentication({ optionsJSON })) as PasskeyAssertion

/**
 * The options of an assertion to sign in (`POST {base}/login/passkey/options`), asked without a
 * session: with the ticket of a pending sign-in, they name that user's passkeys; without, any
 * passkey of this site will do (a discoverable credential names its user). The ticket's binding
 * cookie goes with it, and the BFF takes the challenge back from the assertion's client data.
 */
async function signInOptions(client: object, ticket?: string) {
  const { config } = internalsOf(client)
  const url = `${config.baseUrl}/${AUTH_ROUTES.login}/passkey/options`
  const headers = { [CSRF_HEADER]: CSRF_HEADER_VALUE, 'content-type': 'application/json' }
  const answer = await exchange(config, (input, init) => config.fetch(input, init), url, {
    method: 'POST',
    credentials: 'include',
    headers,
    body: JSON.stringify(ticket === undefined ? {} : { ticket }),
  })
  if ('failed' in answer) throw new RefreshNetworkError(undefined, { cause: answer.failed })
  const { status, body, headers: answered } = answer
  if (status < 200 || status > 299) {
    const request = { method: 'POST', url, baseUrl: config.baseUrl }
    throw failureOf(status, body, false, request, answered, config.now()).error
  }
  return optionsIn<PublicKeyCredentialRequestOptionsJSON>(body)
}

/**
 * Asks the authenticator for an assertion: what `MfaRequiredError.complete()` takes with
 * `method: 'passkey'` (pass the error as `challenge`), and what `reauthenticate()` takes for a
 * step-up with a passkey (pass nothing).
 *
 * @param client - The session client.
 * @param challenge - The pending sign-in (`MfaRequiredError`) it finishes, if any.
 *
 * @example
 * ```ts
 * import { passkeyAssertion } from '@baton/client/passkeys'
 *
 * // a sign-in that asked for a second factor
 * await error.complete({ method: 'passkey', assertion: await passkeyAssertion(baton, error) })
 * // a step-up
 * await baton.reauthenticate({ method: 'passkey', assertion: await passkeyAssertion(baton) })
 * ```
 */
export async function passkeyAssertion(
  client: Pick<SessionClient, 'fetch'>,
  challenge?: Pick<MfaChallenge, 'ticket'>,
): Promise<PasskeyAssertion> {
  // A step-up asks with the session's token (`{base}/reauthenticate/passkey/options`).
  const optionsJSON = challenge
    ? await signInOptions(client, challenge.ticket)
    : optionsIn<PublicKeyCredentialRequestOptionsJSON>(
        await bearerCall(client, 'POST', `${AUTH_ROUTES.reauthenticate}/passkey/options`, {}),
      )
  return ceremony(optionsJSON)
}

/**
 * Signs in with a passkey and no password (`POST {base}/login/passkey`): the browser lets the user
 * pick one of this site's passkeys, and the BFF starts the session of the user it belongs to,
 * exactly as `login()` does (every tab is signed in). Resolves with the user.
 *
 * @param client - The session client.
 * @returns The signed-in user.
 *
 * @example
 * ```ts
 * import { signInWithPasskey } from '@baton/client/passkeys'
 *
 * button.onclick = () => signInWithPasskey(baton).then(goHome, showError)
 * ```
 */
export async function signInWithPasskey<TUser extends BaseUser = RegisteredUser>(
  client: SessionClient<TUser>,
): Promise<TUser> {
  const assertion = await ceremony(await signInOptions(client))
  return (await internalsOf(client).loginPasskey(assertion)) as TUser
}

/**
 * Registers a passkey for the signed-in user (`POST {base}/factors/passkey/options`, the browser's
 * ceremony, then `POST {base}/factors/passkey`). Resolves with the new factor as
 * `GET {base}/factors` lists it. The BFF may ask for a recent sign-in first (step-up).
 *
 * @param client - The session client.
 * @param options - `label`: a name the user gives it ("Work laptop").
 *
 * @example
 * ```ts
 * import { registerPasskey } from '@baton/client/passkeys'
 *
 * const passkey = await registerPasskey(baton, { label: 'This laptop' })
 * ```
 */
export async function registerPasskey(
  client: Pick<SessionClient, 'fetch'>,
  options: { label?: string } = {},
): Promise<FactorSummary> {
  const path = `${AUTH_ROUTES.factors}/passkey`
  const optionsJSON = optionsIn<PublicKeyCredentialCreationOptionsJSON>(
    await bearerCall(client, 'POST', `${path}/options`, {}),
  )
  const response = await startRegistration({ optionsJSON })
  const body = await bearerCall(client, 'POST', path, { ...options, response })
  return factorOf(isObject(body) ? body.factor : undefined)
}
