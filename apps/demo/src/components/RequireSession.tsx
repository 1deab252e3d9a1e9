import { startTransition, useEffect, useState, type ReactNode } from 'react'
import { useSession, useSessionState } from '@baton/react'
import { refreshSentSignal } from '../baton'
import { navigate } from '../router'
import { Splash } from './Splash'

/**
 * Renders its children with a session, and while one resumes once its refresh has left (`loading`,
 * which at page load means the companion cookie says there is one): the page without the user's
 * data, painted during the refresh's round trip, so the grant only fills the user in. Before the
 * refresh leaves it shows the splash, whose first frame is cheap: a whole page's render and first
 * paint there would hold the refresh back. When the session ends (here, in another tab, or revoked
 * from another device), or turns out to be gone, `useSession({ required: true })` sends the user
 * to the login page once, remembering where they were.
 */
export function RequireSession({ children }: { children: ReactNode }) {
  useSession({
    required: true,
    onUnauthenticated: () => {
      const here = window.location.pathname + window.location.search
      navigate(here === '/' ? '/login' : `/login?next=${encodeURIComponent(here)}`, {
        replace: true,
      })
    },
  })
  // The store's own status: `required` reports an ended session as `loading` until the redirect.
  const status = useSessionState((state) => state.status)
  // A boot refresh that failed on the network retries with the status still `loading`: the splash
  // then, not a page whose loads would wait for a token that may never come.
  const failing = useSessionState((state) => state.error !== null)
  const refreshSent = useRefreshSent()
  const shown = status === 'authenticated' || (status === 'loading' && refreshSent && !failing)
  return shown ? children : <Splash />
}

/**
 * Whether the session's refresh has left, as a transition: React renders the page in slices, and
 * a grant that comes meanwhile (a BFF close by) is rendered at once, the user in, instead of after
 * a page without the user that would only be replaced.
 */
function useRefreshSent(): boolean {
  const [sent, setSent] = useState(refreshSentSignal.sent)
  useEffect(() => {
    const update = () => startTransition(() => setSent(true))
    if (refreshSentSignal.sent()) update()
    return refreshSentSignal.subscribe(update)
  }, [])
  return sent
}
