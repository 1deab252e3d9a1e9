/**
 * @module
 * `createSessionClient()`: wires the store, the auth API, the refresh coordinator and the ky
 * instances together.
 */
import type { KyInstance } from 'ky'
import { createAuthApi } from './auth-api.js'
import { createHttp } from './http.js'
import { normalizeOptions, type SessionClientOptions } from './options.js'
import { createRefreshCoordinator } from './refresh-coordinator.js'
import { createSessionStore, type ReadonlySessionStore, type SessionUser } from './store.js'

/** What `POST /auth/login` takes. */
export interface LoginCredentials {
  username: string
  password: string
}

/** A Baton session client: create one per app, outside render, and share it. */
export interface SessionClient<TUser extends SessionUser = SessionUser> {
  /** The session state (zustand vanilla store, read-only). Subscribers hear real changes only. */
  readonly store: ReadonlySessionStore<TUser>
  /**
   * Boots the client: takes the token from another signed-in tab if one answers quickly, otherwise
   * refreshes with the cookie. Resolves once the status is known. Calling it again is harmless.
   */
  start(): Promise<void>
  /**
   * Signs in. Every open tab becomes `authenticated` too. Rejects with a `BatonError` whose `code`
   * is `invalid_credentials`, `invalid_request`, `rate_limited`, `csrf_failed`, or
   * `network_unavailable` (a `RefreshNetworkError`).
   */
  login(credentials: LoginCredentials): Promise<TUser>
  /**
   * Signs out this session (or, with `everywhere`, every session of the user) and every tab. The
   * tab is signed out even when the BFF cannot be reached; the promise then rejects with
   * `RefreshNetworkError` so you can tell the user.
   */
  logout(options?: { everywhere?: boolean }): Promise<void>
  /**
   * A valid access token, refreshed (once for all tabs) if needed. Rejects with
   * `SessionExpiredError` when signed out, `RefreshNetworkError` when no token came in time.
   */
  getAccessToken(options?: { signal?: AbortSignal }): Promise<string>
  /**
   * Forgets this tab's access token now, so the next request refreshes it (coordinated). Use after
   * changing the user's permissions on the server; demos use it to show a refresh.
   */
  invalidateAccessToken(): void
  /**
   * A ky instance that sends the bearer token, waits while a refresh is in flight in any tab, and
   * on a 401 refreshes once and retries once (a second 401 throws ky's `HTTPError`).
   */
  readonly api: KyInstance
  /** `fetch` with the same token handling as `api`; resolves with the Response like `fetch`. */
  readonly fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>
  /** Stops timers and listeners, closes the channel and rejects waiting requests. Final. */
  destroy(): void
}

/**
 * Creates the session client. Nothing runs until `start()` (or the first request); creating it
 * never throws on bad stored state, because it stores nothing: only options are checked here.
 *
 * @example
 * ```ts
 * import { createSessionClient } from '@baton/client'
 *
 * export const baton = createSessionClient({ baseUrl: '/auth', api: { prefixUrl: '/api' } })
 * await baton.start()
 * if (baton.store.getState().status === 'authenticated') {
 *   const notes = await baton.api.get('notes').json<Note[]>()
 * }
 * ```
 */
export function createSessionClient<TUser extends SessionUser = SessionUser>(
  options: SessionClientOptions = {},
): SessionClient<TUser> {
  const config = normalizeOptions(options)
  const store = createSessionStore<TUser>()
  const coordinator = createRefreshCoordinator<TUser>(config, createAuthApi<TUser>(config), store)
  const http = createHttp(coordinator, config.api, config.fetch)

  return {
    store: store.view,
    start: coordinator.start,
    login: (credentials) => coordinator.login(credentials),
    logout: (logoutOptions) => coordinator.logout(logoutOptions?.everywhere === true),
    getAccessToken: (tokenOptions) => coordinator.getAccessToken(tokenOptions?.signal),
    invalidateAccessToken: coordinator.invalidate,
    api: http.api,
    fetch: http.fetch,
    destroy: coordinator.destroy,
  }
}
