/**
 * @module
 * What the two second-factor entries (`@baton/client/mfa`, `@baton/client/passkeys`) share and
 * nothing else needs: the JSON call to a bearer route and the check of a factor the BFF answered
 * with. Not an entry, so none of it is public (it once sat in `mfa.ts`, which made it part of
 * `@baton/client/mfa`); not in `mfa-internals.ts` either, which the core imports, so the core's
 * bundle does not carry it.
 */
import { CSRF_HEADER, CSRF_HEADER_VALUE, type FactorSummary } from '@baton/protocol'
import { exchange, failureOf, type PausableTimeout } from './bff-exchange.js'
import { isBatonError, RefreshNetworkError } from './errors.js'
import { isId, isObject } from './grant.js'
import { internalsOf, unexpected } from './mfa-internals.js'

/**
 * @internal One JSON call to a bearer route under `{base}`, through the client's `fetch`; resolves
 * with the answer's body, rejects with the typed error of a refusal. The `requestTimeout` stops
 * while the call waits for the user's step-up.
 */
export async function bearerCall(
  client: object,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  json?: unknown,
): Promise<unknown> {
  const { config, fetch } = internalsOf(client)
  const url = `${config.baseUrl}/${path}`
  const headers: Record<string, string> = { [CSRF_HEADER]: CSRF_HEADER_VALUE }
  if (json !== undefined) headers['content-type'] = 'application/json'
  const init: RequestInit = { method, headers }
  if (json !== undefined) init.body = JSON.stringify(json)
  const send = (input: string, request: RequestInit, timeout: PausableTimeout) =>
    fetch(input, request, (waiting) => (waiting ? timeout.pause() : timeout.resume()))
  const answer = await exchange(config, send, url, init)
  if ('failed' in answer) {
    const { failed } = answer
    throw isBatonError(failed) ? failed : new RefreshNetworkError(undefined, { cause: failed })
  }
  const { status, body, headers: answered } = answer
  if (status < 200 || status > 299) {
    const request = { method, url, baseUrl: config.baseUrl }
    throw failureOf(status, body, false, request, answered, config.now()).error
  }
  return body
}

/** @internal A factor the BFF answered with, checked; throws `request_failed` for anything else. */
export const factorOf = (value: unknown): FactorSummary => {
  if (
    !isObject(value) ||
    !isId(value.id) ||
    (value.method !== 'totp' && value.method !== 'passkey')
  )
    throw unexpected(200)
  return value as unknown as FactorSummary
}
