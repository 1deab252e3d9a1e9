import type { ReactNode } from 'react'
import { useBatonClient, useSessionState } from '@baton/react'
import { Logo } from './Logo'
import { Link } from './Link'

/**
 * The signed-in frame: header with the app name, navigation, the user and "Sign out". It selects
 * what it shows, so a token refresh (a new `expiresAt`) does not re-render the whole page.
 *
 * While the session resumes (`loading`: the companion cookie says there is one, since an
 * anonymous visitor is `unauthenticated` before the first render) it shows the page inert and
 * without the user's data, so the grant only fills the user in: a small update, where mounting
 * and painting the whole page after the grant took several frames.
 */
export function Layout({ children }: { children: ReactNode }) {
  const baton = useBatonClient()
  const name = useSessionState((state) => state.user?.name)
  const admin = useSessionState((state) => state.user?.role === 'admin')
  // A refresh that failed on the network leaves the session on, with this error until the next
  // success: the user is told, not signed out.
  const offline = useSessionState((state) => state.error?.code === 'network_unavailable')
  const resuming = useSessionState((state) => state.status === 'loading')

  return (
    <div className="app">
      <header className="header">
        <div className="header-inner">
          <Link to="/" className="brand" aria-label="Baton demo, home">
            <Logo />
            <span>Baton</span>
            <span className="brand-tag">demo</span>
          </Link>
          <nav aria-label="Main" className="nav">
            <Link to="/" className="nav-link" markCurrent>
              Dashboard
            </Link>
            <Link to="/devices" className="nav-link" markCurrent>
              Devices
            </Link>
            <Link to="/security" className="nav-link" markCurrent>
              Sign-in methods
            </Link>
            {admin && (
              <Link to="/admin" className="nav-link" markCurrent>
                Security
              </Link>
            )}
          </nav>
          <div className="account">
            <span className={resuming ? 'avatar avatar-pending' : 'avatar'} aria-hidden="true">
              {name?.slice(0, 1)}
            </span>
            {/* One live region throughout, so that screen readers announce the sign-in; its
                text is a new element at the grant, the one the boot benchmark times. */}
            <p
              role="status"
              aria-label="Session status"
              className={resuming ? 'account-status muted' : 'account-status'}
            >
              {resuming ? (
                'Checking your session…'
              ) : (
                <span className="account-name">Signed in as {name}</span>
              )}
            </p>
            {!resuming && (
              <button
                type="button"
                className="button button-ghost"
                onClick={() => {
                  // The tab is signed out even if the server cannot be reached; the login page
                  // then says the sign-out is not confirmed yet (the session error's `cause`).
                  baton.logout().catch(() => {})
                }}
              >
                Sign out
              </button>
            )}
          </div>
        </div>
      </header>
      {offline && (
        <div role="alert" className="banner">
          The server cannot be reached. You are still signed in; Baton keeps retrying.
        </div>
      )}
      <main className="main" inert={resuming} aria-busy={resuming}>
        {children}
      </main>
    </div>
  )
}
