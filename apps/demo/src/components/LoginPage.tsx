import { useActionState, useEffect, useId, useState } from 'react'
import { isBatonError, useMfa, useSession, type SessionEndReason } from '@baton/react'
import { formText } from '../form'
import { navigate, sameOriginPath, useSearch } from '../router'
import { Logo } from './Logo'
import { PasskeySignInButton } from './PasskeySignInButton'
import { SecondFactorStep } from './SecondFactorStep'
import { Splash } from './Splash'

const END_NOTICES: Partial<Record<SessionEndReason, string>> = {
  logged_out: 'You have been signed out.',
  session_expired: 'Your session has expired. Please sign in again.',
  session_revoked: 'This session was revoked from another device.',
  refresh_token_reused:
    'For your security this session was ended: its refresh token was used twice.',
}

/**
 * Said when the sign-out could not be confirmed by the server (the BFF unreachable, issue 12 M1):
 * the client signed this browser out and will send the sign-out again when the app next starts,
 * but until then the server session lives, and a shared computer should not be left as it is.
 */
const UNCONFIRMED_SIGN_OUT =
  'You are signed out here, but the server could not confirm it. This browser finishes signing out the next time the app can reach the server.'

/** What to say for the `oidc_error` codes a person can act on (the rest name their code). */
const OIDC_ERRORS: Partial<Record<string, string>> = {
  access_denied: 'Signing in at the identity provider was cancelled.',
  invalid_state: 'That sign-in link expired or came from another browser. Please try again.',
  replayed: 'That sign-in was already used. Please sign in again.',
  provider_unavailable: 'The identity provider cannot be reached. Try again shortly.',
  rate_limited: 'Too many sign-in attempts. Wait a moment and try again.',
}

/** What to tell the user when `login()` rejected: by the BFF's code, else in the BFF's words. */
function loginError(error: unknown): string {
  if (!isBatonError(error)) return 'Something went wrong. Please try again.'
  switch (error.code) {
    case 'invalid_credentials':
      return 'The username or password is incorrect.'
    case 'rate_limited':
      return error.retryAfter === undefined
        ? 'Too many attempts. Wait a moment and try again.'
        : `Too many attempts. Try again in ${error.retryAfter} s.`
    case 'network_unavailable':
      return 'The server cannot be reached. Check your connection and try again.'
    // The BFF names the field for a developer ("username must be a non-empty string.").
    case 'invalid_request':
      return 'Enter a username and a password.'
    default:
      return error.message
  }
}

/** The outcome of the last sign-in attempt. */
interface Attempt {
  /** Kept so the username survives the form reset that follows every form action. */
  username: string
  failure: string | null
}

/** Where to go after signing in: the `next` parameter if it is a path of this app. */
const nextPath = (search: string): string =>
  sameOriginPath(new URLSearchParams(search).get('next'), window.location.origin)

export function LoginPage() {
  const { status, error, endReason, loginWithRedirect } = useSession()
  // `login` asks for the second step (`challenge`) instead of rejecting when the user has one.
  const { challenge, login, complete, cancel } = useMfa()
  const search = useSearch()
  // A sign-in at the provider that failed lands here with the BFF's stable code.
  const oidcError = new URLSearchParams(search).get('oidc_error')
  // The BFF could not start it (rate limit, provider down): the page stays, with the reason.
  const [oidcStartFailure, setOidcStartFailure] = useState<string | null>(null)
  const errorId = useId()
  const [attempt, signIn, pending] = useActionState(
    async (_previous: Attempt, form: FormData): Promise<Attempt> => {
      const username = formText(form, 'username')
      try {
        // On success the status becomes `authenticated` and the effect below moves on.
        await login({ username, password: formText(form, 'password') })
        return { username, failure: null }
      } catch (cause) {
        return { username, failure: loginError(cause) }
      }
    },
    { username: '', failure: null },
  )
  // A new attempt hides the previous failure until it has its own outcome.
  const failure = pending ? null : attempt.failure

  useEffect(() => {
    // Signed in here or in another tab: on to the page the user wanted.
    if (status === 'authenticated') navigate(nextPath(search), { replace: true })
  }, [status, search])

  if (status !== 'unauthenticated') return <Splash />
  if (challenge)
    return <SecondFactorStep challenge={challenge} complete={complete} cancel={cancel} />

  const notice = endReason ? END_NOTICES[endReason] : undefined
  // The BFF's refusal to start the sign-in, else the code a failed one landed here with.
  const providerFailure =
    oidcStartFailure ??
    (oidcError &&
      (OIDC_ERRORS[oidcError] ?? `Signing in at the identity provider failed (${oidcError}).`))
  // `logout()` rejected: signed out with a `cause`, the reason the server did not confirm it.
  const unconfirmed =
    error?.code === 'session_expired' && error.reason === 'logged_out' && error.cause !== undefined

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
        {unconfirmed ? (
          <p role="alert" className="notice notice-warning">
            {UNCONFIRMED_SIGN_OUT}
          </p>
        ) : (
          notice && <p className="notice">{notice}</p>
        )}
        <form
          action={signIn}
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
              defaultValue={attempt.username}
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
        <PasskeySignInButton />
        <hr className="divider" />
        {providerFailure && (
          <p role="alert" className="form-error">
            {providerFailure}
          </p>
        )}
        <button
          type="button"
          className="button button-block"
          onClick={() => {
            setOidcStartFailure(null)
            loginWithRedirect({ returnTo: nextPath(search) }).catch((cause: unknown) =>
              setOidcStartFailure(loginError(cause)),
            )
          }}
        >
          Sign in with Demo IdP
        </button>
        <div className="hint">
          <p className="hint-title">Demo accounts</p>
          <ul>
            <li>
              <code>alice</code> / <code>wonderland</code>
            </li>
            <li>
              <code>bob</code> / <code>builder</code>
            </li>
            <li>
              Demo IdP: <code>carol</code> / <code>carol-pw</code>
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
