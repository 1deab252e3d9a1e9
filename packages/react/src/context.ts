'use client'
/**
 * @module
 * The React context that carries the session client, and `useBatonClient()` to read it.
 */
import { createContext, useContext } from 'react'
import type { RegisteredUser, SessionClient, BaseUser } from '@baton/client'

/**
 * @internal Holds the client given to `<SessionProvider>`; `null` outside of one. Typed with the
 * widest user: every `SessionClient<TUser>` is one (it only hands users out), so any provider's
 * client fits without a cast.
 */
export const BatonContext = createContext<SessionClient<BaseUser> | null>(null)
BatonContext.displayName = 'BatonContext'

/** @internal The message of the error thrown outside a provider (pinned by a test). */
export const MISSING_PROVIDER =
  '[baton] No session client found: wrap your app in <SessionProvider client={baton}> ' +
  '(from @baton/react) before calling useSession(), useSessionState() or useBatonClient().'

/**
 * The session client given to the nearest `<SessionProvider>`, for what the hooks do not cover
 * (`getAccessToken()`, `invalidateAccessToken()`, `sessions`). Throws when there is no provider
 * above, so a missing provider fails loudly at the first render instead of leaving the app in
 * `loading`.
 *
 * @typeParam TUser - The user type; defaults to the one declared once through `Register`.
 * @returns The client, the very object passed as `client`.
 * @throws `Error` with a message naming `<SessionProvider>` when called outside one.
 *
 * @example
 * ```tsx
 * function ForceRefreshButton() {
 *   const baton = useBatonClient()
 *   return <button onClick={() => baton.invalidateAccessToken()}>Expire access token now</button>
 * }
 * ```
 */
export function useBatonClient<TUser extends BaseUser = RegisteredUser>(): SessionClient<TUser> {
  const client = useContext(BatonContext)
  if (client === null) throw new Error(MISSING_PROVIDER)
  // A context cannot carry a type parameter. With the user type registered, TUser is the one
  // `<SessionProvider>` checked its client against; an explicit `useBatonClient<User>()` (an app
  // that does not register) is the caller's word, as with TanStack Router's hooks.
  return client as SessionClient<TUser>
}
