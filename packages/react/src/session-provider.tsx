'use client'
/**
 * @module
 * `<SessionProvider>`: hands a session client to the hooks below it and starts it.
 */
import { useEffect, type ReactNode } from 'react'
import type { BaseUser, Register, RegisteredUser, SessionClient } from '@baton/client'
import { BatonContext } from './context.js'

/** Props of {@link SessionProvider}. */
export interface SessionProviderProps {
  /**
   * The session client, created once outside render (usually at module level). The provider
   * starts it; it never destroys it, because the client outlives the component tree (hot
   * reloads, StrictMode remounts, several roots). Call `client.destroy()` yourself if you must.
   *
   * Its user type must be the one declared through `Register` (when one is), so the hooks below
   * can trust it; without `Register`, any user type with a string `id` (`BaseUser`).
   */
  client: SessionClient<Register extends { user: BaseUser } ? RegisteredUser : BaseUser>
  children?: ReactNode
}

/**
 * Makes `client` available to `useSession()`, `useSessionState()` and `useBatonClient()`, and
 * calls `client.start()` after the first commit. `start()` is idempotent, so StrictMode's
 * mount-unmount-mount and several providers sharing one client still boot it once: one hand-off
 * from another tab or one refresh. Nothing runs during render, so server rendering never touches
 * the network or browser APIs and shows `status: 'loading'`.
 *
 * @example
 * ```tsx
 * import { createSessionClient, SessionProvider } from '@baton/react'
 *
 * const baton = createSessionClient({ baseUrl: '/auth' })
 *
 * createRoot(document.getElementById('root')!).render(
 *   <StrictMode>
 *     <SessionProvider client={baton}>
 *       <App />
 *     </SessionProvider>
 *   </StrictMode>,
 * )
 * ```
 */
export function SessionProvider({ client, children }: SessionProviderProps) {
  useEffect(() => {
    // start() only rejects for a destroyed client, whose store then stays as it was; there is
    // nobody to report that to from an effect, and an unhandled rejection would be noise.
    client.start().catch(() => {})
  }, [client])

  return <BatonContext.Provider value={client}>{children}</BatonContext.Provider>
}
