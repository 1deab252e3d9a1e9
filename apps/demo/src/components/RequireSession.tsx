import type { ReactNode } from 'react'
import { useSession } from '@baton/react'
import { navigate } from '../router'
import { Splash } from './Splash'

/**
 * Renders its children only with a session. When the session ends (here, in another tab, or
 * revoked from another device), `useSession({ required: true })` sends the user to the login
 * page once, remembering where they were.
 */
export function RequireSession({ children }: { children: ReactNode }) {
  const { status } = useSession({
    required: true,
    onUnauthenticated: () => {
      const here = window.location.pathname + window.location.search
      navigate(here === '/' ? '/login' : `/login?next=${encodeURIComponent(here)}`, {
        replace: true,
      })
    },
  })
  return status === 'authenticated' ? children : <Splash />
}
