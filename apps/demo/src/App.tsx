import { Dashboard } from './components/Dashboard'
import { DevicesPage } from './components/DevicesPage'
import { Layout } from './components/Layout'
import { LoginPage } from './components/LoginPage'
import { NotFound } from './components/NotFound'
import { RequireSession } from './components/RequireSession'
import { usePath } from './router'

/** Routes: `/login` is public; `/` (dashboard) and `/devices` need a session. */
export function App() {
  const path = usePath()
  if (path === '/login') return <LoginPage />
  const page = path === '/' ? <Dashboard /> : path === '/devices' ? <DevicesPage /> : <NotFound />
  return (
    <RequireSession>
      <Layout>{page}</Layout>
    </RequireSession>
  )
}
