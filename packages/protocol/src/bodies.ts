/** The signed-in user as the app's `authenticate` returned it; `id` becomes the token's `sub`. */
export interface SessionUser {
  id: string
  [claim: string]: unknown
}

/** What `POST {base}/login` takes. */
export interface LoginBody {
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
export interface GrantBody<TUser extends SessionUser = SessionUser> {
  accessToken: string
  tokenType: 'Bearer'
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
}

/** What `GET {base}/sessions` answers with. */
export interface SessionListBody {
  sessions: SessionSummary[]
}
