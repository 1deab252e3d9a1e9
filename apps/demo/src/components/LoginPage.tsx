import { useEffect, useId, useState, type FormEvent } from 'react'
import { SessionExpiredError, isBatonError, useSession, type SessionEndReason } from '@baton/react'
import { navigate, sameOriginPath, useSearch } from '../router'
import type { User } from '../user'
import { Logo } from './Logo'
import { Splash } from './Splash'

const END_NOTICES: Partial<Record<SessionEndReason, string>> = {
  logged_out: 'You have been signed out.',
  session_expired: 'Your session has expired. Please sign in again.',
  session_revoked: 'This session was revoked from another device.',
  refresh_token_reused:
    'For your security this session was ended: its refresh token was used twice.',
}

function loginError(error: unknown): string {
  if (!isBatonError(error)) return 'Something went wrong. Please try again.'
  switch (error.code) {
    case 'invalid_credentials':
      return 'The username or password is incorrect.'
    case 'rate_limited':
      return 'Too many attempts. Wait a moment and try again.'
    case 'network_unavailable':
      return 'The server cannot be reached. Check your connection and try again.'
    case 'invalid_request':
      return 'Enter a username and a password.'
    default:
      return 'Sign-in failed. Please try again.'
  }
}

/** Where to go after signing in: the `next` parameter if it is a path of this app. */
const nextPath = (search: string): string =>
  sameOriginPath(new URLSearchParams(search).get('next'), window.location.origin)

export function LoginPage() {
  const { status, error, login } = useSession<User>()
  const search = useSearch()
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [pending, setPending] = useState(false)
  const [failure, setFailure] = useState<string | null>(null)
  const errorId = useId()

  useEffect(() => {
    // Signed in here or in another tab: on to the page the user wanted.
    if (status === 'authenticated') navigate(nextPath(search), { replace: true })
  }, [status, search])

  if (status !== 'unauthenticated') return <Splash />

  const notice = error instanceof SessionExpiredError ? END_NOTICES[error.reason] : undefined

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    setPending(true)
    setFailure(null)
    try {
      await login({ username, password })
    } catch (cause) {
      setFailure(loginError(cause))
      setPending(false)
    }
  }

  return (
    <main className="login">
      <div className="login-card">
        <div className="login-brand">
          <Logo size={40} />
          <div>
            <h1>Sign in to Baton</h1>
            <p role="status" aria-label="Session status" className="muted">
              Signed out
            </p>
          </div>
        </div>
        {notice && <p className="notice">{notice}</p>}
        <form
          onSubmit={onSubmit}
          className="form"
          noValidate
          aria-describedby={failure ? errorId : undefined}
        >
          <label className="field">
            <span>Username</span>
            <input
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              required
              value={username}
              onChange={(event) => setUsername(event.target.value)}
              aria-invalid={failure ? true : undefined}
            />
          </label>
          <label className="field">
            <span>Password</span>
            <input
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              aria-invalid={failure ? true : undefined}
            />
          </label>
          {failure && (
            <p role="alert" id={errorId} className="form-error">
              {failure}
            </p>
          )}
          <button
            type="submit"
            className="button button-primary button-block"
            disabled={pending}
            aria-busy={pending}
          >
            Sign in
          </button>
        </form>
        <div className="hint">
          <p className="hint-title">Demo accounts</p>
          <ul>
            <li>
              <code>alice</code> / <code>wonderland</code>
            </li>
            <li>
              <code>bob</code> / <code>builder</code>
            </li>
          </ul>
        </div>
      </div>
      <p className="login-footer">
        Access tokens stay in memory; the refresh token is an HttpOnly cookie this page never sees.
      </p>
    </main>
  )
}
