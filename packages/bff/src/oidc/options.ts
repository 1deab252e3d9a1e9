/**
 * @module
 * `OidcLoginOptions`, their defaults, and the one place they are checked: every mistake throws a
 * `TypeError` starting with `oidcLogin: ` and naming the option, when `oidcLogin()` runs.
 */
import type { BaseUser, SessionUser } from '@baton/protocol'
import type { Context } from 'hono'
import type { CryptoKey, JWTPayload } from 'jose'
import type { OidcStateStore } from './state-store.js'

/** The ID token's claims, as the provider signed them and the BFF validated them. */
export interface IdTokenClaims extends JWTPayload {
  iss: string
  sub: string
  aud: string | string[]
  iat: number
  exp: number
  auth_time?: number
  nonce?: string
  acr?: string
  amr?: string[]
  azp?: string
  sid?: string
  [claim: string]: unknown
}

/** A private key for `private_key_jwt` (RFC 7523): a WebCrypto key and, if the provider needs it, its `kid`. */
export interface ClientPrivateKey {
  key: CryptoKey
  kid?: string
}

/** Options of `oidcLogin()`. */
export interface OidcLoginOptions<TUser extends BaseUser = SessionUser> {
  /**
   * The provider's issuer URL; its `/.well-known/openid-configuration` is read on the first
   * sign-in (and retried on the next one while the provider is unreachable). `https:`, or `http:`
   * on a loopback address (a provider on your machine).
   */
  issuer: string
  /** The client id registered at the provider for this BFF. */
  clientId: string
  /**
   * The client secret (`client_secret_basic`). Give this or `clientPrivateKey`: the BFF is a
   * confidential client (OAuth 2.0 for Browser-Based Apps, §6.1). `undefined` counts as absent, so
   * `process.env.OIDC_CLIENT_SECRET` fits: when neither is set, `oidcLogin()` throws.
   */
  clientSecret?: string | undefined
  /** A private key for `private_key_jwt` client authentication instead of a secret. */
  clientPrivateKey?: CryptoKey | ClientPrivateKey
  /**
   * The callback URL registered at the provider: the absolute URL of `{basePath}/oidc/callback`
   * where the BFF is mounted, e.g. `https://app.example.com/auth/oidc/callback`.
   */
  redirectUri: string
  /**
   * Scopes to request; must include `openid`. Add `offline_access` when the provider only issues
   * refresh tokens for it (Auth0, Okta, Entra ID) and `accessToken(c)` should outlive the first
   * access token.
   * @default ['openid', 'profile', 'email']
   */
  scopes?: readonly string[]
  /**
   * Turns the validated ID token's claims into the session's user, or `null` to refuse the sign-in
   * (the browser lands on `errorPath` with `oidc_error=user_refused`). Keep the user small and
   * JSON-serialisable, as with `authenticate`; its `id` becomes the access token's `sub`, and must
   * be a non-empty, well-formed string without U+0000, as `authenticate`'s.
   */
  mapUser: (claims: IdTokenClaims, c: Context) => TUser | null | Promise<TUser | null>
  /**
   * The secret the transaction cookie and the upstream tokens at rest are
   * encrypted under (AES-256-GCM, keys derived with HKDF): at least 32 characters, the same on every
   * instance. A list rotates it: the first encrypts, all decrypt. `undefined` counts as absent (so
   * `process.env.BATON_OIDC_SECRET` fits) and gets the default, warning included.
   * @default a random secret per process, with a warning: fine for one instance in development; a
   * restart then forgets every upstream token, and instances cannot read each other's
   */
  secret?: string | readonly string[] | undefined
  /**
   * Where transactions, `jti`s, upstream tokens and refresh leases live. Several instances must
   * share one, as they share the session store; by default they do, since it is the session
   * store's own.
   * @default the session store's `oidcStateStore()` (every built-in store has one); for a store
   * without it, `memoryOidcStateStore()` with a warning
   */
  stateStore?: OidcStateStore
  /**
   * The app's page that failed sign-ins land on, with `?oidc_error=<code>` (see `OIDC_ERROR_CODES`).
   * @default '/'
   */
  errorPath?: string
  /**
   * Where the provider sends the browser after RP-initiated logout; registered at the provider as
   * a `post_logout_redirect_uri`. Without it the provider shows its own signed-out page.
   * @default none
   */
  postLogoutRedirectUri?: string
  /**
   * How long a sign-in may take at the provider (the transaction cookie's lifetime).
   * @default 600 (seconds)
   */
  transactionTtlSeconds?: number
  /**
   * `accessToken(c)` refreshes the upstream access token when it expires within this many seconds.
   * @default 60
   */
  refreshSkewSeconds?: number
  /**
   * Timeout of each request to the provider (discovery, token, JWKS), in milliseconds. The refresh
   * lease lasts three times as long, so a lease never ends while its holder may still spend the
   * refresh token.
   * @default 5000
   */
  timeoutMs?: number
  /**
   * The `fetch` every request to the provider goes through (discovery, PAR, token, JWKS): a proxy,
   * a custom CA, instrumentation.
   * @default globalThis.fetch
   */
  fetch?: typeof fetch
}

/** @internal The options after defaults and checks. */
export interface OidcConfig {
  issuer: URL
  /** Plain HTTP to a loopback provider. */
  insecure: boolean
  clientId: string
  clientSecret: string | null
  clientPrivateKey: ClientPrivateKey | null
  redirectUri: URL
  scopes: string[]
  mapUser: (claims: IdTokenClaims, c: Context) => BaseUser | null | Promise<BaseUser | null>
  secrets: string[] | null
  stateStore: OidcStateStore | null
  errorPath: string
  postLogoutRedirectUri: string | null
  transactionTtlSeconds: number
  refreshSkewSeconds: number
  timeoutMs: number
  fetch: typeof fetch | undefined
}

const invalid = (message: string) => new TypeError(`oidcLogin: ${message}`)

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

function absoluteUrl(value: unknown, option: string): URL {
  if (typeof value !== 'string' || !URL.canParse(value)) {
    throw invalid(`${option} must be an absolute URL, got ${JSON.stringify(value)}`)
  }
  const url = new URL(value)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw invalid(`${option} must be https: (or http: on a loopback address), got "${value}"`)
  }
  if (url.hash !== '') throw invalid(`${option} must not have a fragment, got "${value}"`)
  return url
}

function seconds(value: number | undefined, fallback: number, option: string, min: number): number {
  const result = value ?? fallback
  if (!Number.isInteger(result) || result < min) {
    throw invalid(`${option} must be an integer of at least ${min}, got ${String(value)}`)
  }
  return result
}

// Duck-typed: the realm's `CryptoKey` class may differ from the key's (a polyfill, another realm).
function isCryptoKey(value: unknown): value is CryptoKey {
  const key = value as Partial<CryptoKey> | null
  return (
    typeof key === 'object' &&
    key !== null &&
    typeof key.type === 'string' &&
    typeof key.algorithm === 'object'
  )
}

/** @internal Applies defaults; throws a `TypeError` naming the first bad option. */
export function normalizeOidcOptions<TUser extends BaseUser>(
  options: OidcLoginOptions<TUser>,
): OidcConfig {
  if (typeof options !== 'object' || options === null) throw invalid('options are required')
  const issuer = absoluteUrl(options.issuer, 'issuer')
  if (typeof options.clientId !== 'string' || options.clientId === '') {
    throw invalid('clientId must be a non-empty string')
  }
  const { clientSecret, clientPrivateKey } = options
  if ((clientSecret === undefined) === (clientPrivateKey === undefined)) {
    throw invalid('give exactly one of clientSecret and clientPrivateKey (a confidential client)')
  }
  if (clientSecret !== undefined && (typeof clientSecret !== 'string' || clientSecret === '')) {
    throw invalid('clientSecret must be a non-empty string')
  }
  let privateKey: ClientPrivateKey | null = null
  if (clientPrivateKey !== undefined) {
    const candidate: Partial<ClientPrivateKey> = isCryptoKey(clientPrivateKey)
      ? { key: clientPrivateKey }
      : clientPrivateKey
    if (!isCryptoKey(candidate.key) || candidate.key.type !== 'private') {
      throw invalid('clientPrivateKey must be a private CryptoKey or { key: CryptoKey, kid? }')
    }
    privateKey =
      candidate.kid === undefined
        ? { key: candidate.key }
        : { key: candidate.key, kid: candidate.kid }
  }
  const redirectUri = absoluteUrl(options.redirectUri, 'redirectUri')
  const scopes = [...(options.scopes ?? ['openid', 'profile', 'email'])]
  if (
    !scopes.every((scope) => typeof scope === 'string' && /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope))
  ) {
    throw invalid('scopes must be scope tokens (RFC 6749 §3.3)')
  }
  if (!scopes.includes('openid')) throw invalid('scopes must include "openid"')
  if (typeof options.mapUser !== 'function') throw invalid('mapUser must be a function')

  let secrets: string[] | null = null
  if (options.secret !== undefined) {
    secrets = typeof options.secret === 'string' ? [options.secret] : [...options.secret]
    if (secrets.length === 0 || !secrets.every((s) => typeof s === 'string' && s.length >= 32)) {
      throw invalid(
        'secret must be a string of at least 32 characters, or a non-empty list of them',
      )
    }
  }
  const stateStore = options.stateStore ?? null
  if (
    stateStore !== null &&
    (typeof stateStore !== 'object' || typeof stateStore.claim !== 'function')
  ) {
    throw invalid('stateStore must implement OidcStateStore')
  }
  const errorPath = options.errorPath ?? '/'
  if (
    typeof errorPath !== 'string' ||
    !errorPath.startsWith('/') ||
    errorPath.startsWith('//') ||
    /[\s\\?#]/.test(errorPath)
  ) {
    throw invalid(
      `errorPath must be a path starting with "/" (no query), got ${JSON.stringify(errorPath)}`,
    )
  }
  const postLogout =
    options.postLogoutRedirectUri === undefined
      ? null
      : absoluteUrl(options.postLogoutRedirectUri, 'postLogoutRedirectUri').href
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw invalid('fetch must be a function')
  }
  const timeoutMs = seconds(options.timeoutMs, 5_000, 'timeoutMs', 100)

  return {
    issuer,
    insecure: issuer.protocol === 'http:',
    clientId: options.clientId,
    clientSecret: clientSecret ?? null,
    clientPrivateKey: privateKey,
    redirectUri,
    scopes,
    // The session's user is what `mapUser` returned; the config holds it under the general type.
    mapUser: options.mapUser as OidcConfig['mapUser'],
    secrets,
    stateStore,
    errorPath,
    postLogoutRedirectUri: postLogout,
    transactionTtlSeconds: seconds(options.transactionTtlSeconds, 600, 'transactionTtlSeconds', 10),
    refreshSkewSeconds: seconds(options.refreshSkewSeconds, 60, 'refreshSkewSeconds', 0),
    timeoutMs,
    fetch: options.fetch,
  }
}
