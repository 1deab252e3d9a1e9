/**
 * @module
 * `createSessionClient()`: wires the store, the auth API, the refresh coordinator, the session
 * `fetch` and the session routes together.
 */
import type { LoginBody, BaseUser, ReauthenticateBody } from '@baton/protocol'
import { createAuthApi, type AuthApi } from './auth-api.js'
import { askOtherTabs } from './boot.js'
import { createDpop, type Dpop } from './dpop.js'
import { destroyedError } from './errors.js'
import { callerTokens, createSessionFetch } from './http.js'
import { registerInternals } from './mfa-internals.js'
import { normalizeOptions } from './normalize-options.js'
import type { SessionClientOptions } from './options.js'
import { createRefreshCoordinator, type RefreshCoordinator } from './refresh-coordinator.js'
import type { RegisteredUser } from './register.js'
import { MfaRequiredError, type FactorProof } from './request-errors.js'
import { hasSessionHint } from './session-hint.js'
import { createSessionRoutes, type SessionRoutes } from './session-routes.js'
import { endProviderSession, loginWithRedirect, type LoginRedirectOptions } from './sign-out.js'
import { createStepUp, type StepUp } from './step-up.js'
import { createSessionStore, type ReadonlySessionStore } from './store.js'
import { setTimer } from './timers.js'

/** What `POST /auth/login` takes. */
export type LoginCredentials = LoginBody

/**
 * What `POST /auth/reauthenticate` takes: the signed-in user's own credentials again, or one of
 * their second factors (a TOTP code, or a passkey assertion from `@baton/client/passkeys`).
 */
export type ReauthenticateCredentials =
  ReauthenticateBody | Exclude<FactorProof, { method: 'recovery_code' }>

/** Options of `logout()`. */
export interface LogoutOptions {
  /**
   * End every session of the user, not only this browser's.
   * @default false
   */
  everywhere?: boolean
  /**
   * For a session signed in through an OpenID provider (`@baton/bff/oidc`): once the BFF confirmed
   * the sign-out, navigate to `{baseUrl}/oidc/logout`, which ends the provider's session too
   * (RP-initiated logout) and comes back to the BFF's `postLogoutRedirectUri`. `false` keeps the
   * page where it is, and the provider's session alive (the next sign-in may not ask for the
   * password). Password sessions never navigate.
   * @default true
   */
  endProviderSession?: boolean
}

/**
 * A Baton session client: create one per app, outside render, and share it.
 *
 * @typeParam TUser - The user type; defaults to the one declared through `Register`.
 */
export interface SessionClient<TUser extends BaseUser = RegisteredUser> {
  /** The session state (zustand vanilla store, read-only). Subscribers hear real changes only. */
  readonly store: ReadonlySessionStore<TUser>
  /**
   * Boots the client: without the companion cookie it is `unauthenticated` at once; otherwise it
   * takes the token from another signed-in tab if one answers quickly, or refreshes with the
   * cookie. If a sign-out in this browser was never confirmed by the BFF, it sends that instead
   * of a refresh, and stays `unauthenticated`. Resolves once the status is known. Calling it again
   * is harmless.
   */
  readonly start: () => Promise<void>
  /**
   * Signs in. Every open tab becomes `authenticated` too. Rejects with a `BatonError` whose `code`
   * is `invalid_credentials`, `invalid_request`, `rate_limited`, `csrf_failed`, or
   * `network_unavailable` (a `RefreshNetworkError`); and, for a user with a second factor, with
   * `mfa_required` (a `MfaRequiredError`, whose `complete()` finishes the sign-in).
   */
  readonly login: (credentials: LoginCredentials) => Promise<TUser>
  /**
   * Signs out this session (or, with `everywhere`, every session of the user) and every tab. The
   * tab is signed out even when the BFF cannot confirm it (network error, 5xx); the promise
   * then rejects with that error (`RefreshNetworkError`) so you can tell the user, the store's
   * `error` is a `SessionExpiredError('logged_out')` whose `cause` is that error, and the browser
   * remembers the sign-out (in `adapters.storage`): no tab refreshes the session meanwhile, and
   * the next `start()` sends the logout again instead of a refresh.
   *
   * @example
   * ```ts
   * await baton.logout().catch(() => showNotice('Signed out here; the server will be told.'))
   * ```
   */
  readonly logout: (options?: LogoutOptions) => Promise<void>
  /**
   * Signs in through the BFF's OpenID provider (`@baton/bff/oidc`): asks the BFF to start the
   * sign-in (`POST {baseUrl}/oidc/login`, signed by this browser's device key, so the session is
   * bound to it as after `login()`), then navigates this page to the provider's sign-in page. The
   * browser comes back to `returnTo` (a path on the BFF's origin) with the session cookie, and the
   * page's `start()` signs every open tab in, as after `login()`. A sign-in that fails at the
   * provider lands on the BFF's `errorPath` with `?oidc_error=<code>`. Where the browser cannot
   * hold a device key it navigates to `GET {baseUrl}/oidc/login?returnTo=…` at once (an unbound
   * session). Resolves once the navigation is asked for; rejects, with the page left as it was,
   * with `rate_limited`, `network_unavailable` (the BFF or the provider could not be reached, a
   * `RefreshNetworkError`) or `request_failed`, and after `destroy()` with `client_destroyed`. A
   * call while one is on its way joins it (one sign-in for a double click).
   *
   * @example
   * ```ts
   * <button onClick={() => baton.loginWithRedirect({ returnTo: '/dashboard' }).catch(showError)}>
   *   Sign in with Acme ID
   * </button>
   * ```
   */
  readonly loginWithRedirect: (options?: LoginRedirectOptions) => Promise<void>
  /**
   * A valid access token, refreshed (once for all tabs) if needed. Rejects with
   * `SessionExpiredError` when signed out, or `session_revoked` when another user signed in while
   * it waited (as a request through `fetch` does: the token is the caller's user's or none),
   * `RefreshNetworkError` when no token came in time, and with the reason of `signal` once it is
   * aborted (even before the call), as `fetch` does.
   */
  readonly getAccessToken: (options?: { signal?: AbortSignal }) => Promise<string>
  /**
   * Forgets this tab's access token now, so the next request refreshes it (coordinated). Use after
   * changing the user's permissions on the server; demos use it to show a refresh.
   */
  readonly invalidateAccessToken: () => void
  /**
   * `fetch` that sends the bearer token, waits while a refresh is in flight in any tab, and on a
   * 401 refreshes once and retries once; a second 401 is returned as it is. Like `fetch`, it
   * resolves with any HTTP status; it rejects with the session's errors (`SessionExpiredError`,
   * `RefreshNetworkError`, `queue_full`) and with `fetch`'s own. Only requests to the
   * `tokenOrigins` (by default the page's and the BFF's origin) get the token: others go out
   * untouched, and their 401 is an ordinary response. For ky, see `@baton/client/ky`.
   */
  readonly fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>
  /** The user's sessions (signed-in devices): list them, sign one or all others out. */
  readonly sessions: SessionRoutes
  /**
   * Step-up authentication (RFC 9470): proves the signed-in user again with their credentials,
   * when an API route asked for a recent sign-in (`store.stepUp` is set while requests wait for
   * it) or before a sensitive action. The new token is adopted in this tab and shared with every
   * tab, `stepUp` is cleared everywhere, and the waiting requests are retried once with it.
   * Rejects with a `BatonError` whose `code` is `invalid_credentials`, `rate_limited` (a
   * `RateLimitedError` with `retryAfter`), `network_unavailable`, `session_expired`, … and then
   * the step-up stays pending, so the user can try again.
   *
   * @example
   * ```ts
   * baton.store.subscribe(({ stepUp }) => (stepUp ? openPasswordDialog() : closePasswordDialog()))
   * async function onSubmit(password: string) {
   *   try {
   *     await baton.reauthenticate({ username, password })
   *   } catch (error) {
   *     if (isBatonError(error)) showError(error.message) // e.g. wrong password: still pending
   *   }
   * }
   * ```
   */
  readonly reauthenticate: (credentials: ReauthenticateCredentials) => Promise<void>
  /**
   * Gives up the pending step-up: the requests waiting for it reject with `StepUpRequiredError`
   * and `store.stepUp` becomes `null` (in this tab). Does nothing when none is pending.
   */
  readonly cancelStepUp: () => void
  /** Stops timers and listeners, closes the channel and rejects waiting requests. Final. */
  readonly destroy: () => void
}

/**
 * Creates the session client. Nothing runs until `start()` (or the first request); creating it
 * never throws on bad stored state, because it stores nothing: only options are checked here.
 *
 * @typeParam TUser - The user type; defaults to the one declared through `Register`.
 * @throws `TypeError` naming the first invalid option.
 *
 * @example
 * ```ts
 * import { createSessionClient } from '@baton/client'
 *
 * export const baton = createSessionClient({ baseUrl: '/auth', refreshMargin: '30s' })
 * await baton.start()
 * if (baton.store.getState().status === 'authenticated') {
 *   const notes = (await (await baton.fetch('/api/notes')).json()) as Note[]
 *   const devices = await baton.sessions.list()
 * }
 * ```
 */
export function createSessionClient<TUser extends BaseUser = RegisteredUser>(
  options: SessionClientOptions = {},
): SessionClient<TUser> {
  const config = normalizeOptions(options)
  const store = createSessionStore<TUser>()
  // The session machinery is built on first use. An anonymous visitor's `start()` needs only the
  // companion cookie and the store; on a cold code cache, compiling the rest is a quarter to a
  // third of its boot (BENCHMARKS 5), which its status and first render need not wait for.
  let deferredStart: Promise<void> | undefined
  let destroyed = false
  let machinery:
    | { dpop: Dpop | undefined; auth: AuthApi<TUser>; coordinator: RefreshCoordinator<TUser> }
    | undefined
  /** The machinery, built now if need be; a start deferred until then runs now. */
  const core = () => {
    if (machinery) return machinery
    // The device key and proofs (DPoP): one per client, shared by its cookie calls and `fetch`.
    const dpop = createDpop(config)
    const auth = createAuthApi<TUser>(config, dpop)
    const coordinator = createRefreshCoordinator<TUser>(config, auth, store)
    machinery = { dpop, auth, coordinator }
    // A call after destroy() fails as a destroyed client's does.
    if (destroyed) coordinator.destroy()
    // The rest of a start that said `unauthenticated` already (it reads the cookie again).
    else if (deferredStart) void coordinator.start(true)
    return machinery
  }
  // Requests with the token and the step-up they may ask for, built with the first of them.
  let requests: { stepUp: StepUp; fetch: ReturnType<typeof createSessionFetch> } | undefined
  const withRequests = () => {
    if (requests) return requests
    const { dpop, auth, coordinator } = core()
    const stepUp = createStepUp<TUser>(config, auth, store, coordinator)
    if (destroyed) stepUp.destroy()
    return (requests = { stepUp, fetch: createSessionFetch(coordinator, stepUp, config, dpop) })
  }
  const sessionFetch = (...args: Parameters<ReturnType<typeof createSessionFetch>>) =>
    withRequests().fetch(...args)

  const start = (): Promise<void> => {
    if (destroyed || machinery) return core().coordinator.start()
    if (deferredStart) return deferredStart
    if (hasSessionHint(config.cookies(), config.sessionHintCookie) !== false) {
      // A session may be here: the other tabs are asked for it before the machinery is built.
      const asked = askOtherTabs(config)
      return core().coordinator.start(false, asked)
    }
    // No session in this browser: the status now, the machinery a task later (or with the
    // app's first call, whichever comes first).
    deferredStart = Promise.resolve()
    store.update({ status: 'unauthenticated' })
    setTimer(() => void (destroyed || core()), 0)
    return deferredStart
  }

  // A sign-in, by password, second factor or passkey; a second factor asked for is answered with
  // an error that can finish this sign-in (the same lock, key and adoption as `login()`).
  const signIn = (send: Parameters<RefreshCoordinator<TUser>['login']>[0]): Promise<TUser> =>
    core()
      .coordinator.login(send)
      .catch((error: unknown) => {
        if (error instanceof MfaRequiredError)
          Object.assign(error, {
            complete: (proof: FactorProof) =>
              signIn(() => core().auth.loginMfa({ ...proof, ticket: error.ticket })),
          })
        throw error
      })

  let startingRedirect: Promise<void> | undefined
  const client: SessionClient<TUser> = {
    store: store.view,
    start,
    login: signIn,
    logout: async (logoutOptions) => {
      await core().coordinator.logout(logoutOptions?.everywhere === true)
      // Only after a sign-out the BFF confirmed: it is then that it left the end-session marker.
      if (logoutOptions?.endProviderSession !== false) endProviderSession(config)
    },
    // A second click while the first start is on its way joins it: it would seal a second
    // transaction over the first one's cookie, and the navigation that won could carry the other
    // one's `state` (`invalid_state` at the callback).
    // Destroyed: rejects as `login()` does, navigating nowhere (even without a device key).
    loginWithRedirect: (redirectOptions) =>
      (startingRedirect ??= (
        destroyed
          ? Promise.reject(destroyedError())
          : loginWithRedirect(config, core(), redirectOptions)
      ).finally(() => (startingRedirect = undefined))),
    // As a request through `fetch`: a token the caller then sends must be of the user it asked as.
    getAccessToken: (tokenOptions) => {
      const { coordinator } = core()
      const own = callerTokens(coordinator)
      return coordinator.getAccessToken(tokenOptions?.signal).then(own)
    },
    invalidateAccessToken: () => core().coordinator.invalidate(),
    // Not `sessionFetch` itself: its third parameter is internal.
    fetch: (input, init) => sessionFetch(input, init),
    sessions: createSessionRoutes(config, sessionFetch),
    reauthenticate: (credentials) => withRequests().stepUp.reauthenticate(credentials),
    // Nothing can be pending before the first request built the step-up.
    cancelStepUp: () => requests?.stepUp.cancel(),
    destroy: () => {
      destroyed = true
      requests?.stepUp.destroy()
      machinery?.coordinator.destroy()
    },
  }
  registerInternals(client, {
    config,
    fetch: sessionFetch,
    loginPasskey: (assertion) => signIn(() => core().auth.loginPasskey(assertion)),
  })
  return client
}
