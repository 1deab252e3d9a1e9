/**
 * @module
 * What every OpenID Connect route is built from: the host BFF's internals plus this module's own
 * pieces, made once by `oidcLogin()` when `createBff()` installs it.
 * @internal
 */
import type { OidcHost } from './plugin.js'
import type { OidcConfig } from './options.js'
import type { Provider } from './provider.js'
import type { Sealer } from './seal.js'
import type { OidcStateStore } from './state-store.js'
import type { Upstream } from './upstream.js'

/** @internal Everything the routes need. */
export interface OidcRouteDeps extends OidcHost {
  oidcConfig: OidcConfig
  /** The discovered provider; rejects with `ProviderUnavailable` while it cannot be reached. */
  provider: () => Promise<Provider>
  sealer: Sealer
  stateStore: OidcStateStore
  upstream: Upstream
}

/** @internal Cookie names follow the refresh cookie's `secure`: `__Host-` needs Secure (RFC 6265bis §4.1.3). */
export const cookieName = (secure: boolean, name: string) => (secure ? `__Host-${name}` : name)
