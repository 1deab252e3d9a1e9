/**
 * @module
 * The audit events of sign-in through an OpenID provider (`@baton/bff/oidc`), part of `BffEvent`.
 */
import type { EventBase } from '../events.js'
import type { OidcErrorCode } from './error-codes.js'

/**
 * A sign-in through the OpenID provider (`@baton/bff/oidc`) failed and the browser was sent to the
 * app's `errorPath` with `oidc_error=<code>`: the user cancelled, a forged or replayed callback, an
 * ID token that failed validation, a provider that could not be reached…
 */
export interface OidcLoginFailedEvent extends EventBase {
  type: 'oidc_login_failed'
  /** The `oidc_error` code the browser was sent with. */
  code: OidcErrorCode
}

/**
 * The OpenID provider ended its session and told the BFF (Back-Channel Logout 1.0,
 * `POST {base}/oidc/backchannel-logout`, `@baton/bff/oidc`): the Baton sessions signed in through
 * it were revoked, each also reported as `revoked` with reason `provider_logout`. `sid` and `sub`
 * are the logout token's (the provider's session and user ids); `sessionIds` is empty when no
 * session of theirs was live. `ip` and `userAgent` are the provider's request's.
 */
export interface ProviderLogoutEvent extends EventBase {
  type: 'provider_logout'
  sid: string | null
  sub: string | null
  /** The Baton sessions this logout revoked. */
  sessionIds: string[]
}
