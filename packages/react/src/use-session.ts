'use client'
/**
 * @module
 * `useSession()` and `useSessionState()`: the client's zustand store read through
 * `useSyncExternalStore`, the way zustand's own `useStore` does it.
 */
import { useEffect, useMemo, useRef } from 'react'
import { useStore } from 'zustand'
import type { RegisteredUser, SessionClient, SessionState, BaseUser } from '@baton/client'
import { useBatonClient } from './context.js'

/**
 * Reads one slice of the session state and re-renders only when that slice changes (compared
 * with `Object.is`). A component that selects `status` does not re-render when the access token
 * is refreshed, because only `expiresAt` and `tokenLifetime` change then.
 *
 * The selector must return something stable for an unchanged state: a field, a primitive, or an
 * object wrapped in zustand's `useShallow`. A selector that builds a new object on every call
 * makes React loop. On the server, and while hydrating, it reads the store's initial state, so
 * the markup says `loading` and matches the first client render.
 *
 * @typeParam T - What the selector returns.
 * @typeParam TUser - The user type; defaults to the one declared once through `Register`.
 * @param selector - Picks what the component needs from the {@link SessionState}.
 * @returns The selected value.
 *
 * @example
 * ```tsx
 * function SignedInBadge() {
 *   const status = useSessionState((state) => state.status)
 *   return <span role="status">{status === 'authenticated' ? 'Signed in' : 'Signed out'}</span>
 * }
 * ```
 */
export function useSessionState<T, TUser extends BaseUser = RegisteredUser>(
  selector: (state: SessionState<TUser>) => T,
): T {
  return useStore(useBatonClient<TUser>().store, selector)
}

/** Options of {@link useSession}. */
export interface UseSessionOptions {
  /**
   * The component needs a session. When the status becomes `unauthenticated` (signed out here or
   * in another tab, revoked, expired), `onUnauthenticated` is called, or the page goes to
   * `redirectTo`; once per sign-out, never while `loading`. Meanwhile `status` reads `loading`
   * rather than `unauthenticated`, so the component shows its placeholder instead of flashing a
   * signed-out view before the redirect (as Auth.js does).
   * @default false
   */
  required?: boolean
  /**
   * Called instead of the redirect, with the store's `error` (what went wrong, or `null` for a
   * sign-out the user asked for and for a visitor who never signed in) and its `endReason` (why
   * the session ended, failure or not, or `null`). The latest function is used; it need not be
   * memoised.
   */
  onUnauthenticated?: (error: SessionState['error'], endReason: SessionState['endReason']) => void
  /**
   * Where to send the browser (`window.location.assign`) when `required` and there is no
   * `onUnauthenticated`.
   * @default '/login'
   */
  redirectTo?: string
}

/**
 * What {@link useSession} returns: the whole {@link SessionState} (`stepUp` included) plus the
 * client's `login`, `loginWithRedirect` (sign-in through the BFF's OpenID provider), `logout`,
 * `fetch`, `sessions`, `reauthenticate` and `cancelStepUp`, which are the client's own and stable
 * for its lifetime.
 */
export type UseSessionResult<TUser extends BaseUser = RegisteredUser> = SessionState<TUser> &
  Pick<
    SessionClient<TUser>,
    | 'login'
    | 'loginWithRedirect'
    | 'logout'
    | 'fetch'
    | 'sessions'
    | 'reauthenticate'
    | 'cancelStepUp'
  >

/**
 * The session and what to do with it. The component re-renders when any field of the session
 * changes, `expiresAt` included (on every token refresh); a component that needs less should
 * select it with {@link useSessionState}. The returned object keeps its identity while nothing
 * changed, and the functions (`login`, `logout`, `fetch`, `sessions`, `reauthenticate`,
 * `cancelStepUp`) never change.
 *
 * `stepUp` is set while requests wait for the user to prove who they are again (RFC 9470 step-up:
 * an API route wants a recent sign-in): render a password dialog that calls `reauthenticate`, and
 * a cancel button that calls `cancelStepUp`. Any tab's success clears it in every tab.
 *
 * @typeParam TUser - The user type; defaults to the one declared once through `Register`.
 * @param options - Set `required` to react when the session ends; see {@link UseSessionOptions}.
 * @returns The session state plus the client's `login`, `logout`, `fetch`, `sessions`,
 * `reauthenticate` and `cancelStepUp`.
 *
 * @example
 * ```tsx
 * function Dashboard() {
 *   const navigate = useNavigate()
 *   const { status, user, fetch, logout } = useSession({
 *     required: true,
 *     onUnauthenticated: () => navigate('/login'),
 *   })
 *   if (status === 'loading') return <Spinner />
 *   return (
 *     <>
 *       <h1>Hello {user?.name}</h1>
 *       <button onClick={() => fetch('/api/notes')}>Load notes</button>
 *       <button onClick={() => logout()}>Sign out</button>
 *     </>
 *   )
 * }
 * ```
 */
export function useSession<TUser extends BaseUser = RegisteredUser>(
  options: UseSessionOptions = {},
): UseSessionResult<TUser> {
  const client = useBatonClient<TUser>()
  // The whole state: the store replaces it only on a real change (no-op patches are skipped), so
  // its identity is the "anything changed" signal and nothing is listed twice.
  const state = useStore(client.store)
  const required = options.required === true
  const redirectTo = options.redirectTo ?? '/login'

  // The latest callback, updated in an effect declared before the one that calls it (effects of
  // one component run in order), so an inline arrow function works without re-running anything.
  // React 19.2's useEffectEvent would say this directly, but the peer range still includes 18.
  const onUnauthenticated = useRef(options.onUnauthenticated)
  useEffect(() => {
    onUnauthenticated.current = options.onUnauthenticated
  })

  // The client whose sign-out was told of. Survives StrictMode's simulated unmount, so the double
  // effect does not call back twice; a client, not a flag, so that another client given to the
  // provider, signed out too, is told of as well.
  const notified = useRef<SessionClient<TUser> | null>(null)
  useEffect(() => {
    if (!required || state.status !== 'unauthenticated') {
      notified.current = null
      return
    }
    if (notified.current === client) return
    notified.current = client
    const callback = onUnauthenticated.current
    const { error, endReason } = client.store.getState()
    if (callback) callback(error, endReason)
    else window.location.assign(redirectTo)
  }, [client, required, redirectTo, state.status])

  return useMemo(
    () => ({
      ...state,
      status: required && state.status === 'unauthenticated' ? 'loading' : state.status,
      login: client.login,
      loginWithRedirect: client.loginWithRedirect,
      logout: client.logout,
      fetch: client.fetch,
      sessions: client.sessions,
      reauthenticate: client.reauthenticate,
      cancelStepUp: client.cancelStepUp,
    }),
    [client, required, state],
  )
}
