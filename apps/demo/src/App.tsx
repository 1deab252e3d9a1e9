import type { ComponentType } from 'react'
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
  if (path === '/login') return <LoginPage />
  const Page = PAGES[path] ?? NotFound
  return (
    <RequireSession>
      <Layout>
        <Page />
        <StepUpDialog />
      </Layout>
    </RequireSession>
  )
}
