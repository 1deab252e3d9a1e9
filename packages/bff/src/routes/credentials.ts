/**
 * @module
 * The credentials of `POST {base}/login` and `POST {base}/reauthenticate`: one set of rules and
 * messages for both forms.
 * @internal
 */
import type { LoginBody } from '@baton/protocol'
import { BffError } from '../errors.js'
import type { BffConfig } from '../options.js'

/** @internal A `400 invalid_request` with `message`. */
export const invalidRequest = (message: string) => new BffError(400, 'invalid_request', message)

/** @internal `{ username, password }` from a parsed body, or `400 invalid_request` saying what is wrong. */
export function readCredentials(
  body: unknown,
  config: Pick<BffConfig, 'maxUsernameLength' | 'maxPasswordLength'>,
): LoginBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest('Expected a JSON object { username, password }.')
  }
  const { username, password } = body as Record<string, unknown>
  if (typeof username !== 'string' || username.length === 0) {
    throw invalidRequest('username must be a non-empty string.')
  }
  if (typeof password !== 'string' || password.length === 0) {
    throw invalidRequest('password must be a non-empty string.')
  }
  if (username.length > config.maxUsernameLength) {
    throw invalidRequest(`username must be at most ${config.maxUsernameLength} characters.`)
  }
  if (password.length > config.maxPasswordLength) {
    throw invalidRequest(`password must be at most ${config.maxPasswordLength} characters.`)
  }
  return { username, password }
}
