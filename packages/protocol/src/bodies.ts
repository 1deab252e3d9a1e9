/**
 * What every user type must have: a string `id`, which becomes the token's `sub`. User type
 * parameters (`GrantBody<TUser>`, `TabMessage<TUser>`, the user `createBff`'s `authenticate`
 * returns) are constrained by this rather than by {@link SessionUser}, so an application's
 * `interface User { id: string; name: string }` fits as well as a `type` alias does. (An
 * interface has no implicit index signature, so it is not assignable to `SessionUser`'s
 * `[claim: string]: unknown`: TS2344.)
 *
 * @example
 * ```ts
 * interface User {
 *   id: string
 *   name: string
 * }
 * type Grant = GrantBody<User> // BaseUser is what User must extend, and it does
 * ```
 */
export interface BaseUser {
  id: string
}

/**
 * The signed-in user as the app's `authenticate` returned it, when the application names no user
 * type of its own: an `id` (the token's `sub`) and any other JSON-serialisable claims.
 */
export interface SessionUser extends BaseUser {
  [claim: string]: unknown
}

/** What `POST {base}/login` takes. */
export interface LoginBody {
  username: string
  password: string
}

/**
 * What `POST {base}/reauthenticate` takes: the signed-in user proves who they are again (step-up,
 * RFC 9470). `username` must name the session's own user.
 */
export interface ReauthenticateBody {
  username: string
  password: string
}

/** What `POST {base}/logout` takes (or no body at all). */
export interface LogoutBody {
  /**
   * End every session of the user, not only this one. Not honoured for a refresh cookie that was
   * already rotated out (a copy someone kept): that ends its own session as a reuse, nothing more.
   */
  everywhere?: boolean
}

/** What `POST {base}/login` and `POST {base}/refresh` answer with (200). */
export interface GrantBody<TUser extends BaseUser = SessionUser> {
  accessToken: string
  /**
   * `DPoP` when the session is bound to the browser's key (RFC 9449): API calls then send
   * `Authorization: DPoP <token>` with a proof; `Bearer` for an unbound session.
   */
  tokenType: 'Bearer' | 'DPoP'
  /**
   * When the access token expires, epoch ms on the server's clock; never after the session's
   * absolute deadline.
   */
  expiresAt: number
  /** Seconds the access token lives: immune to a device clock that is off. */
  expiresIn: number
  /**
   * Seconds until the session's idle deadline. Only refreshes marked as activity (see
   * `ACTIVITY_HEADER`) push it back, so a tab nobody uses lets its session end on time.
   */
  idleExpiresIn: number
  user: TUser
  sessionId: string
}

/** One of the user's sessions (a signed-in device), as `GET {base}/sessions` lists it. */
export interface SessionSummary {
  id: string
  /** Epoch ms. */
  createdAt: number
  /** Epoch ms of the last sign-in or refresh. */
  lastUsedAt: number
  /** The absolute deadline, epoch ms. */
  expiresAt: number
  userAgent: string | null
  ip: string | null
  /** True for the session of the access token that asked. */
  current: boolean
  /** Epoch ms of the last time the user proved who they are in this session (sign-in or step-up). */
  authTime: number
  /** True when the session is bound to a key that never leaves its browser (DPoP, RFC 9449). */
  bound: boolean
}

/** What `GET {base}/sessions` answers with. */
export interface SessionListBody {
  sessions: SessionSummary[]
}

/** What the OpenID provider may be asked to do at a sign-in (OpenID Connect Core §3.1.2.1). */
export type OidcPrompt = 'none' | 'login' | 'consent' | 'select_account'

/**
 * What `POST {base}/oidc/login` takes (with `@baton/bff/oidc`), with the page's DPoP proof when
 * the browser binds its sessions: the session the provider's callback starts is bound to that key.
 * Answers `200` {@link OidcLoginStartedBody} (and sets the sign-in's transaction cookie),
 * `400 invalid_request`, `400 use_dpop_nonce` / `401 invalid_dpop_proof`, `429 rate_limited` or
 * `503 provider_unavailable`.
 */
export interface OidcLoginBody {
  /** Where the browser lands once signed in: a path on the BFF's origin. */
  returnTo: string
  prompt?: OidcPrompt
  /** `max_age`: the most seconds since the user last proved who they are at the provider. */
  maxAge?: number
}

/** The answer to `POST {base}/oidc/login`: the provider's authorization URL, to navigate to. */
export interface OidcLoginStartedBody {
  location: string
}
