/**
 * @module
 * `oidcLogin()`: sign-in through an OpenID Connect provider, the BFF as a confidential client
 * (OAuth 2.0 for Browser-Based Applications, §6.1). The value it returns goes into
 * `createBff({ oidc })`; its `accessToken(c)` gives API routes the user's upstream access token.
 */
import type { BaseUser, SessionUser } from '@baton/protocol'
import type { Context } from 'hono'
import * as oidc from 'openid-client'
import type { RequireAuthVariables } from '../env.js'
import { registerOidc, type OidcHost, type OidcInstalled } from './plugin.js'
import { normalizeOidcOptions, type OidcLoginOptions } from './options.js'
import { createProvider } from './provider.js'
import { afterLogout } from './logout.js'
import { oidcRoutes } from './routes.js'
import { createSealer } from './seal.js'
import { memoryOidcStateStore } from './state-store.js'
import { createUpstream, type Upstream } from './upstream.js'

/**
 * What `oidcLogin()` returns: pass it to `createBff({ oidc })` (one BFF per value), and call
 * `accessToken(c)` in API routes.
 */
export interface OidcLogin<TUser extends BaseUser = SessionUser> {
  /**
   * The signed-in user's current access token from the provider, for calling downstream APIs
   * (token relay). Use it behind `bff.requireAuth()`, which says whose session it is
   * (`c.var.sessionId`). When the token expires within `refreshSkewSeconds` it is refreshed
   * upstream first, once per session across all instances sharing the state store (a lease).
   * Throws a `BffError`: `401 session_revoked` for a session that is over (or that the provider
   * ended: its refresh was refused), `401 invalid_token` for a session without provider tokens
   * (a password sign-in) or whose token expired with no refresh token, `503 store_unavailable`
   * when the store cannot be reached and `503 provider_unavailable` when the provider cannot (both
   * transient: the client retries). The token never goes to the browser.
   *
   * @example
   * ```ts
   * app.get('/api/orders', bff.requireAuth(), async (c) => {
   *   const token = await oidc.accessToken(c)
   *   return fetch('https://orders.internal/v1/orders', { headers: { authorization: `Bearer ${token}` } })
   * })
   * ```
   */
  accessToken(c: Context<{ Variables: RequireAuthVariables }>): Promise<string>
  /** @internal Ties the user type to `createBff`'s. */
  readonly __user?: TUser
}

const warnings = {
  secret:
    '[baton] oidcLogin: no `secret` given, so a random one was generated. Sign-ins in progress and ' +
    'upstream tokens are lost on restart and unreadable by other instances: set `secret` (32+ characters).',
  store:
    '[baton] oidcLogin: no `stateStore` given and the session store has no oidcStateStore(): ' +
    'transactions, logout tokens and upstream tokens stay in this process. Give every instance one ' +
    'shared stateStore.',
}

/**
 * Sign-in through an OpenID Connect provider (Keycloak, Entra ID, Auth0, Okta, Google…). Options
 * are checked here and throw a `TypeError` naming the option; the provider is discovered on the
 * first sign-in (a provider that is down then answers `oidc_error=provider_unavailable`, and the
 * next sign-in tries again).
 *
 * @example
 * ```ts
 * import { createBff } from '@baton/bff'
 * import { oidcLogin } from '@baton/bff/oidc'
 *
 * const oidc = oidcLogin({
 *   issuer: 'https://login.example.com/realms/shop',
 *   clientId: 'shop-bff',
 *   clientSecret: process.env.OIDC_CLIENT_SECRET,
 *   redirectUri: 'https://shop.example.com/auth/oidc/callback',
 *   secret: process.env.BATON_OIDC_SECRET,
 *   mapUser: (claims) => ({ id: claims.sub, name: String(claims['name'] ?? claims.sub) }),
 * })
 * const bff = createBff({ keys, store, oidc })
 * // the SPA: window.location.assign('/auth/oidc/login?returnTo=/dashboard')
 * ```
 */
export function oidcLogin<TUser extends BaseUser = SessionUser>(
  options: OidcLoginOptions<TUser>,
): OidcLogin<TUser> {
  const oidcConfig = normalizeOidcOptions(options)
  let upstream: Upstream | null = null

  const login: OidcLogin<TUser> = {
    async accessToken(c) {
      if (!upstream) throw new Error('oidcLogin: pass this value to createBff({ oidc }) first')
      const sessionId = c.var.sessionId
      if (typeof sessionId !== 'string') {
        throw new Error('oidcLogin: accessToken(c) needs bff.requireAuth() before the route')
      }
      return upstream.accessToken(sessionId)
    },
  }

  registerOidc(login, (host: OidcHost): OidcInstalled => {
    if (upstream) throw new TypeError('createBff: this oidcLogin() value is used by another BFF')
    const { config } = host
    const secrets = oidcConfig.secrets ?? [oidc.randomState() + oidc.randomState()]
    if (!oidcConfig.secrets) config.logger.warn(warnings.secret)
    // Beside the sessions by default: every built-in store offers one, so instances sharing the
    // session store share transactions, logout tokens and upstream tokens too.
    let stateStore = oidcConfig.stateStore ?? config.store.oidcStateStore?.() ?? null
    if (!stateStore) {
      config.logger.warn(warnings.store)
      stateStore = memoryOidcStateStore({ now: config.now })
    }
    const sealer = createSealer(secrets)
    const provider = createProvider(oidcConfig, oidcConfig.fetch)
    const current = createUpstream(
      config,
      oidcConfig,
      stateStore,
      sealer,
      async () => (await provider.get()).configuration,
      host.revoker,
    )
    upstream = current
    // Every other end of a session (an admin, theft, the session limit…) retires its grant too.
    host.revoker.onRevoked((sessionIds, reason) => current.retireRevoked(sessionIds, reason))
    const deps = {
      ...host,
      oidcConfig,
      provider: () => provider.get(),
      sealer,
      stateStore,
      upstream: current,
    }
    return { routes: oidcRoutes(deps), afterLogout: afterLogout(deps) }
  })
  return login
}
