import { useState, type ComponentType } from 'react'
import { useSessionState } from '@baton/react'
import { Dashboard } from './components/Dashboard'
import { DevicesPage } from './components/DevicesPage'
import { Layout } from './components/Layout'
import { LoginPage } from './components/LoginPage'
import { NotFound } from './components/NotFound'
import { RequireSession } from './components/RequireSession'
import { SecurityConsole } from './components/SecurityConsole'
import { SecurityPage } from './components/SecurityPage'
import { StepUpDialog } from './components/StepUpDialog'
import { usePath } from './router'
import { nextUserKey } from './user-key'

/** The pages behind a session, by path (every key starts with `/`, so none is inherited). */
const PAGES: Record<string, ComponentType> = {
  '/': Dashboard,
  '/devices': DevicesPage,
  '/admin': SecurityConsole,
  '/security': SecurityPage,
}

/**
 * Routes: `/login` is public; `/` (dashboard), `/devices`, `/security` (sign-in methods) and
 * `/admin` (the security console, for administrators) need a session.
 */
export function App() {
  const path = usePath()
  const userKey = useUserKey()
  if (path === '/login') return <LoginPage />
  const Page = PAGES[path] ?? NotFound
  return (
    <RequireSession>
      {/* Another user adopted without a sign-out in between: remount, so no state of the
          previous user's (notes, sessions, factors, console) shows under the new name. */}
      <Layout key={userKey}>
        <Page />
        <StepUpDialog />
      </Layout>
    </RequireSession>
  )
}

/** Changes when another user replaces the signed-in one (see `user-key.ts`). */
function useUserKey(): number {
  const userId = useSessionState((state) => state.user?.id ?? null)
  // Information from previous renders, adjusted during render (React's documented pattern).
  const [key, setKey] = useState(() => nextUserKey({ userId: null, switches: 0 }, userId))
  const next = nextUserKey(key, userId)
  if (next !== key) setKey(next)
  return next.switches
}
