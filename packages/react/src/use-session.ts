'use client'
/**
 * @module
 * `useSession()` and `useSessionState()`: the client's zustand store read through
 * `useSyncExternalStore`, the way zustand's own `useStore` does it.
 */
import { useEffect, useMemo, useRef } from 'react'
import { useStore } from 'zustand'
import { useShallow } from 'zustand/react/shallow'
import type {
  BatonError,
  SessionClient,
  SessionState,
  SessionStatus,
  SessionUser,
} from '@baton/client'
import { useBatonClient } from './context.js'

/**
 * Reads one slice of the session state and re-renders only when that slice changes (compared
 * with `Object.is`). A component that selects `status` does not re-render when the access token
 * is refreshed, because only `expiresAt` changes then.
 *
 * The selector must return something stable for an unchanged state: a field, a primitive, or an
 * object wrapped in zustand's `useShallow`. A selector that builds a new object on every call
 * makes React loop. On the server, and while hydrating, it reads the store's initial state, so
 * the markup says `loading` and matches the first client render.
 *
 * @typeParam T - What the selector returns.
 * @typeParam TUser - The user type the client was created with.
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
export function useSessionState<T, TUser extends SessionUser = SessionUser>(
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
   * Called instead of the redirect, with the store's `error` (a `SessionExpiredError` whose
   * `reason` says why the session ended, or `null`). The latest function is used; it need not be
   * memoised.
   */
  onUnauthenticated?: (error: BatonError | null) => void
  /**
   * Where to send the browser (`window.location.assign`) when `required` and there is no
   * `onUnauthenticated`.
   * @default '/login'
   */
  redirectTo?: string
}

/** What {@link useSession} returns. The functions are the client's own, stable for its lifetime. */
export interface UseSessionResult<TUser extends SessionUser = SessionUser> {
  status: SessionStatus
  user: TUser | null
  sessionId: string | null
  /** When this tab's access token expires (epoch ms), or `null`; changes on every refresh. */
  expiresAt: number | null
  /** Why the session ended, or the last refresh failure while it goes on; see `SessionState`. */
  error: BatonError | null
  login: SessionClient<TUser>['login']
  logout: SessionClient<TUser>['logout']
  /** The client's ky instance: bearer token, queueing during refreshes, one retry after a 401. */
  api: SessionClient<TUser>['api']
  /** `fetch` with the same token handling as `api`. */
  fetch: SessionClient<TUser>['fetch']
}

const pickSession = <TUser extends SessionUser>(state: SessionState<TUser>) => ({
  status: state.status,
  user: state.user,
  sessionId: state.sessionId,
  expiresAt: state.expiresAt,
  error: state.error,
})

/**
 * The session and what to do with it. The component re-renders when any field of the session
 * changes, `expiresAt` included (on every token refresh); a component that needs less should
 * select it with {@link useSessionState}. The returned object keeps its identity while nothing
 * changed, and `login`, `logout`, `api` and `fetch` never change.
 *
 * @typeParam TUser - The user type the client was created with.
 * @param options - Set `required` to react when the session ends; see {@link UseSessionOptions}.
 * @returns The session state plus the client's `login`, `logout`, `api` and `fetch`.
 *
 * @example
 * ```tsx
 * function Dashboard() {
 *   const navigate = useNavigate()
 *   const { status, user, api, logout } = useSession<User>({
 *     required: true,
 *     onUnauthenticated: () => navigate('/login'),
 *   })
 *   if (status === 'loading') return <Spinner />
 *   return (
 *     <>
 *       <h1>Hello {user?.name}</h1>
 *       <button onClick={() => api.get('notes').json()}>Load notes</button>
 *       <button onClick={() => logout()}>Sign out</button>
 *     </>
 *   )
 * }
 * ```
 */
export function useSession<TUser extends SessionUser = SessionUser>(
  options: UseSessionOptions = {},
): UseSessionResult<TUser> {
  const client = useBatonClient<TUser>()
  const session = useStore(client.store, useShallow(pickSession<TUser>))
  const required = options.required === true
  const redirectTo = options.redirectTo ?? '/login'

  // The latest callback, updated in an effect declared before the one that calls it (effects of
  // one component run in order), so an inline arrow function works without re-running anything.
  const onUnauthenticated = useRef(options.onUnauthenticated)
  useEffect(() => {
    onUnauthenticated.current = options.onUnauthenticated
  })

  // Survives StrictMode's simulated unmount, so the double effect does not call back twice.
  const notified = useRef(false)
  useEffect(() => {
    if (!required || session.status !== 'unauthenticated') {
      notified.current = false
      return
    }
    if (notified.current) return
    notified.current = true
    const callback = onUnauthenticated.current
    if (callback) callback(client.store.getState().error)
    else window.location.assign(redirectTo)
  }, [client, required, redirectTo, session.status])

  return useMemo(
    () => ({
      ...session,
      status: required && session.status === 'unauthenticated' ? 'loading' : session.status,
      login: client.login,
      logout: client.logout,
      api: client.api,
      fetch: client.fetch,
    }),
    [client, required, session],
  )
}
