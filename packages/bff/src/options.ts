/**
 * @module
 * `BffOptions` and their defaults, documented once; `BffConfig`, what they become. They are
 * checked in one place, `normalize-options.ts`.
 */
import type { BaseUser, Duration, SessionUser } from '@baton/protocol'
import type { Context } from 'hono'
import type { AnomalyConfig } from './anomaly/normalize.js'
import type { AnomalyOptions } from './anomaly/types.js'
import type { BindingConfig, BindingPolicy, DpopProofOptions } from './dpop/options.js'
import type { BffEvent } from './events.js'
import type { RateLimitConfig, RateLimitOptions } from './rate-limit/options.js'
import type { TrustProxy } from './rate-limit/trust-proxy.js'
import type { SessionPolicyConfig, SessionPolicyOptions } from './session-policy-options.js'
import type { SessionStore, StoredSession } from './stores/types.js'
import type { RefreshCookieOptions, RefreshCookieScope } from './cookie-options.js'
import type { SigningKeys } from './tokens/keys.js'
import type { OidcLogin } from './oidc/login.js'
import type { MfaConfig, MfaOptions } from './mfa/options.js'

/** What `POST /auth/login` receives. */
export interface Credentials {
  username: string
  password: string
}

/**
 * The `authenticate` option of `createBff`: checks the credentials and resolves to the user, or
 * `null` to refuse them.
 *
 * @example
 * ```ts
 * const authenticate: Authenticate = async ({ username, password }) =>
 *   (await users.check(username, password)) ? { id: username, name: username } : null
 * ```
 */
export type Authenticate<TUser extends BaseUser = SessionUser> = (
  credentials: Credentials,
  c: Context,
) => Promise<TUser | null>

/**
 * A session as `validateSession` sees it: who, since when, until when, from where. The token
 * material of the stored record is left out. `user` is what `authenticate` returned at sign-in,
 * as the store kept it (a persistent store keeps it as JSON).
 */
export type SessionInfo<TUser extends BaseUser = SessionUser> = Readonly<
  Pick<
    StoredSession,
    | 'id'
    | 'userId'
    | 'createdAt'
    | 'lastUsedAt'
    | 'expiresAt'
    | 'idleExpiresAt'
    | 'userAgent'
    | 'ip'
  > & { user: TUser }
>

/**
 * Options of `createBff`. `TUser` is the application's user type, as `authenticate` returns it
 * (inferred from it); any type with a string `id` fits, an `interface` included.
 */
export interface BffOptions<TUser extends BaseUser = SessionUser> extends SessionPolicyOptions {
  /**
   * Checks credentials and returns the user, or `null` to refuse. Make it take the same time
   * whether or not the user exists (hash against a dummy when the user is unknown). The user
   * travels in every grant (`GrantBody.user`) and is stored with the session, so keep it small
   * and plain JSON (no `Date`, `Map`, class instance, `BigInt` or non-finite number; an `undefined`
   * property is dropped), so that every store gives it back the same; its `id` becomes the token's
   * `sub`, and must be a non-empty, well-formed string without U+0000 (every store indexes it).
   * Anything else is a `TypeError`, a logged `500 internal`. Leave it out for a BFF that signs
   * users in only through `oidc`: `POST {base}/login` and `/reauthenticate` then answer
   * `404 not_found`. Give `authenticate`, `oidc`, or both.
   * @default none: password sign-in off (`oidc` is then required)
   */
  authenticate?: Authenticate<TUser>
  /**
   * Sign-in through an OpenID Connect provider: the value of `oidcLogin()` from
   * `@baton/bff/oidc` (which needs the optional peer `openid-client`). Adds
   * `GET {base}/oidc/login`, `/oidc/callback`, `/oidc/logout` and `POST {base}/oidc/backchannel-logout`.
   * @default none: password sign-in only
   */
  oidc?: OidcLogin<TUser>
  /**
   * Access-token signing keys.
   * @default createSigningKeys() (generated at start, with a warning)
   */
  keys?: SigningKeys
  /**
   * Where sessions live.
   * @default memoryStore({ now })
   */
  store?: SessionStore
  /**
   * Access token `iss`.
   * @default 'baton'
   */
  issuer?: string
  /**
   * Access token `aud`.
   * @default 'baton-api'
   */
  audience?: string
  /**
   * Access token `client_id` (RFC 9068 §2.2): the client the token was issued to, i.e. this BFF.
   * @default the audience
   */
  clientId?: string
  /**
   * Asks the application whether a session may go on, on every refresh before a token is issued
   * (OWASP ASVS 7.4.2): is the user still active, were their credentials changed after
   * `session.createdAt`? Resolve `true` to go on, `false` to end the session: it is revoked
   * (event `revoked`, reason `user_invalid`) and the refresh answers `401 session_revoked`.
   *
   * It runs on the refresh path of every open tab, so keep it cheap: one indexed lookup or a
   * cache, not a call to a remote identity provider. A throw or rejection (or any answer that is
   * not a boolean) answers `503 store_unavailable`, is logged, and ends nothing: the client keeps
   * the session and retries, as it does when the store is down. Without this option a disabled
   * user keeps refreshing until a deadline; use `bff.admin.revokeUser()` as well, to end their
   * sessions at once.
   * @default none: refresh never asks the application again
   */
  validateSession?: (session: SessionInfo<TUser>, c: Context) => boolean | Promise<boolean>
  /**
   * Path of the auth routes (login, refresh, logout, sessions) inside the BFF app. Mounting the
   * BFF with `app.route(prefix, bff)` puts them under `prefix` as well.
   * @default '/auth'
   */
  basePath?: string
  /**
   * Path of the public key set.
   * @default '/.well-known/jwks.json'
   */
  jwksPath?: string
  /**
   * Access token lifetime. A token never outlives its session's absolute deadline (its `exp` is
   * cut to it). Services verifying tokens with `requireAuth()` should get the same value as
   * `maxTokenAge`.
   * @default '5m'
   */
  accessTokenTtl?: Duration
  /**
   * A session without activity for this long ends (OWASP ASVS 7.3.1). Login and refreshes sent
   * with `ACTIVITY_HEADER: 1` (`@baton/protocol`) push the deadline back; other refreshes (a tab
   * keeping its token fresh in the background) rotate the token but leave the deadline, so an
   * open tab nobody uses does not keep its session alive. Every grant says how far off it is
   * (`idleExpiresIn`).
   * @default '24h'
   */
  idleTimeout?: Duration
  /**
   * A session ends this long after login, whatever happens (OWASP ASVS 7.3.2).
   * @default '30d'
   */
  absoluteTimeout?: Duration
  /**
   * How long the immediately previous refresh token still refreshes (returning the same successor)
   * after a rotation: covers a lost response or two tabs racing. `0` makes any duplicate a reuse.
   * @default '10s'
   */
  gracePeriod?: Duration
  /** Refresh cookie settings. */
  cookie?: RefreshCookieOptions
  /**
   * Name of the session hint: a cookie holding a tag of the session (12 base64url characters of
   * its id's SHA-256: the same across its refreshes, new with every sign-in), set whenever the
   * refresh cookie is set (same Max-Age, `Secure` as the refresh cookie, SameSite=Strict) and
   * cleared whenever it is cleared (logout, and every 401 from refresh). Unlike the refresh
   * cookie it is not HttpOnly and its Path is `/`, so the SPA reads it from `document.cookie` on
   * any page: without it, a page load skips the boot refresh that could only answer 401 (no error
   * in the console of an anonymous visitor).
   *
   * It carries nothing secret: it only says that a refresh cookie was set and which sign-in set
   * it (so a sign-out the client could not finish is not sent again once another sign-in, e.g. an
   * OpenID Connect redirect, has replaced that session), which grants nothing; a hint that is
   * stale or forged costs one refresh answering 401, as without it. The refresh cookie alone
   * decides whether a session exists. Give `@baton/client` the same name (its `sessionHintCookie`
   * option); with `false` here, set `false` there too, or every page load looks signed out.
   * @default 'baton_session' (`SESSION_HINT_COOKIE` of `@baton/protocol`)
   */
  sessionHintCookie?: string | false
  /**
   * Origins allowed to call login, refresh and logout (checked with the `X-CSRF: 1` header).
   * @default the request's own origin only
   */
  allowedOrigins?: readonly string[] | ((origin: string, c: Context) => boolean)
  /** Receives every audit event. Errors it throws are logged, never sent to the client. */
  onEvent?: (event: BffEvent) => void | Promise<void>
  /**
   * The client's IP address, recorded on sessions and events. Return `null` when unknown.
   * @default the socket address under `@hono/node-server`, else `null`
   */
  clientIp?: (c: Context) => string | null
  /**
   * When to believe `X-Forwarded-For` (see {@link TrustProxy}): `false`, a number of proxies of
   * yours in front of the BFF, or a list of their addresses and CIDR blocks. The address it yields
   * is the one rate limits, sessions and events see. Give this or `clientIp`, not both.
   * @default false: the header is ignored, the socket's peer is the client
   */
  trustProxy?: TrustProxy
  /**
   * Rate limits on the auth routes and the cap on concurrent `authenticate` calls (see
   * {@link RateLimitOptions}); `false` turns them all off.
   * @default on, with the defaults of each limit
   */
  rateLimit?: RateLimitOptions | false
  /**
   * Largest accepted `username` (characters).
   * @default 256
   */
  maxUsernameLength?: number
  /**
   * Largest accepted `password` (characters).
   * @default 1024
   */
  maxPasswordLength?: number
  /**
   * The clock, for tests.
   * @default Date.now
   */
  now?: () => number
  /**
   * Where unexpected errors and warnings go.
   * @default console
   */
  logger?: Pick<Console, 'warn' | 'error'>
  /**
   * Anomaly detection (see {@link AnomalyOptions}): every refresh is compared with the session's
   * last request (browser family and OS, network, cadence), every sign-in with the user's other
   * sessions, and each signal leads to its action (`ignore`, `log`, `step_up`, `revoke`) and an
   * `anomaly_detected` event. `false` turns it off.
   * @default on: a browser family or OS change revokes, every other signal logs
   */
  anomalies?: AnomalyOptions | false
  /**
   * Device binding (DPoP, RFC 9449, see {@link BindingPolicy}): a login whose request carries a
   * `DPoP` proof binds the session to that browser key, and every later refresh, logout and API
   * call must be signed by it; a valid proof by another key revokes the session
   * (`binding_mismatch`).
   * @default 'if_supported': every browser that can keep a non-extractable key gets a bound
   * session, and one that cannot still signs in (unbound, and shown so in the devices list)
   */
  binding?: BindingPolicy
  /**
   * How DPoP proofs are checked (see {@link DpopProofOptions}): the public origins their `htu`
   * may name (set it behind a proxy), the `iat` window, server nonces.
   * @default the request's own origin, a 60 s window, no nonces
   */
  dpop?: DpopProofOptions
  /**
   * Second factors for password sign-in (see {@link MfaOptions}): TOTP, recovery codes and
   * passkeys under `{base}/factors`, `401 mfa_required` from password login for a user who has
   * one, `POST {base}/login/mfa`, passwordless `POST {base}/login/passkey`, and step-up with a
   * factor. Needs `encryptionKey` (TOTP secrets are sealed with it) and a store with
   * `factorStore()` (every built-in store).
   * @default none: no second factors
   */
  mfa?: MfaOptions
}

/** @internal Options after defaults and validation. */
export interface BffConfig {
  authenticate: (credentials: Credentials, c: Context) => Promise<BaseUser | null>
  /** False when `authenticate` was left out (sign-in through `oidc` only). */
  passwordLogin: boolean
  keys: SigningKeys
  store: SessionStore
  issuer: string
  audience: string
  clientId: string
  validateSession: ((session: SessionInfo, c: Context) => boolean | Promise<boolean>) | null
  basePath: string
  jwksPath: string
  accessTokenTtlMs: number
  idleTimeoutMs: number
  absoluteTimeoutMs: number
  gracePeriodMs: number
  /** `path: null` follows the mount point, per request (see `refreshCookiePath`). */
  cookie: { name: string; scope: RefreshCookieScope; path: string | null; secure: boolean }
  sessionHintCookie: string | null
  isAllowedOrigin: (origin: string, c: Context) => boolean
  emit: (event: BffEvent) => void
  clientIp: (c: Context) => string | null
  maxUsernameLength: number
  maxPasswordLength: number
  now: () => number
  logger: Pick<Console, 'warn' | 'error'>
  /** Rate limits after defaults (`rate-limit/options.ts`); `null` when off. */
  rateLimit: RateLimitConfig | null
  /** Session limits and the devices list's step-up (`session-policy-options.ts`). */
  sessionPolicy: SessionPolicyConfig
  /** Anomaly rules after defaults (`anomaly/normalize.ts`); `null` when off. */
  anomalies: AnomalyConfig | null
  /** Device binding after defaults (`dpop/options.ts`). */
  binding: BindingConfig
  /** Second factors after defaults (`mfa/options.ts`); `null` when off. */
  mfa: MfaConfig | null
}
