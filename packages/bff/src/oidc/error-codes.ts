/**
 * @module
 * The stable codes a failed OpenID Connect sign-in lands on the app's `errorPath` with
 * (`?oidc_error=<code>`).
 */

/**
 * Every `oidc_error` code:
 * - `access_denied`: the user cancelled or refused at the provider;
 * - `login_required`: `prompt=none` and nobody is signed in at the provider (also for the
 *   provider's `consent_required`, `interaction_required`, `account_selection_required`);
 * - `provider_error`: any other error the provider answered the authorization with (logged);
 * - `invalid_state`: no transaction cookie, one that does not open, has expired, or whose `state`
 *   differs from the callback's (a forged or cross-browser callback);
 * - `replayed`: a callback whose transaction was already used;
 * - `token_exchange_failed`: the provider refused the code (wrong PKCE verifier, used code, …);
 * - `invalid_id_token`: the ID token failed validation (signature, `iss`, `aud`, `nonce`,
 *   `exp`, `auth_time` against `max_age`, …);
 * - `user_refused`: `mapUser` returned `null`;
 * - `provider_unavailable`: the provider could not be reached (discovery, token endpoint);
 * - `invalid_request`: `returnTo`, `prompt` or `max_age` of the login URL is not acceptable;
 * - `session_limit`, `store_unavailable`, `rate_limited`: the Baton session could not start, as
 *   with password login; `store_unavailable` also when `GET {base}/oidc/logout` could not end the
 *   session (the store did not answer), whose sign-out the user may try again.
 */
export const OIDC_ERROR_CODES = [
  'access_denied',
  'login_required',
  'provider_error',
  'invalid_state',
  'replayed',
  'token_exchange_failed',
  'invalid_id_token',
  'user_refused',
  'provider_unavailable',
  'invalid_request',
  'session_limit',
  'store_unavailable',
  'rate_limited',
] as const

/** A stable `oidc_error` code (see {@link OIDC_ERROR_CODES}). */
export type OidcErrorCode = (typeof OIDC_ERROR_CODES)[number]

/** The query parameter the code travels in. */
export const OIDC_ERROR_PARAM = 'oidc_error'
