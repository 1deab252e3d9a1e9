/**
 * @module
 * `@baton/bff/oidc`: sign-in through an OpenID Connect provider, the BFF as a confidential client.
 * Needs the optional peer dependency `openid-client` (6.x).
 *
 * @example
 * ```ts
 * import { oidcLogin } from '@baton/bff/oidc'
 * // Transactions and upstream tokens live beside the sessions (`store.oidcStateStore()`).
 * const oidc = oidcLogin({ issuer, clientId, clientSecret, redirectUri, secret, mapUser })
 * const bff = createBff({ keys, store, oidc }) // `authenticate` too for password sign-in
 * ```
 */
export { oidcLogin, type OidcLogin } from './login.js'
export type { ClientPrivateKey, IdTokenClaims, OidcLoginOptions } from './options.js'
export { OIDC_ERROR_CODES, OIDC_ERROR_PARAM, type OidcErrorCode } from './error-codes.js'
export {
  memoryOidcStateStore,
  type MemoryOidcStateStoreOptions,
  type OidcStateStore,
} from './state-store.js'
export { redisOidcStateStore, type RedisOidcStateStoreOptions } from './redis-state-store.js'
export { BACKCHANNEL_LOGOUT_EVENT } from './backchannel.js'
