import { useActionState, useEffect, useId, useRef, useState } from 'react'
import { isBatonError, useBatonClient, useSession } from '@baton/react'
import { passkeyAssertion } from '@baton/client/passkeys'
import { factorError, useFactors } from '../factors'
import { formText } from '../form'

/** What to tell the user when `reauthenticate()` rejected; the dialog stays open to try again. */
function stepUpError(error: unknown, withCode: boolean): string {
  if (!isBatonError(error)) return 'Something went wrong. Please try again.'
  switch (error.code) {
    case 'invalid_credentials':
      return withCode
        ? 'That code is wrong, expired or already used.'
        : 'That password is incorrect.'
    case 'rate_limited':
      return error.retryAfter === undefined
        ? error.message
        : `${error.message} Try again in ${error.retryAfter} s.`
    case 'network_unavailable':
      return 'The server cannot be reached. Check your connection and try again.'
    case 'invalid_request':
      return withCode ? 'Enter the code of your authenticator app.' : 'Enter your password.'
    default:
      return error.message
  }
}

/** "5 minutes", "30 seconds": how recent the sign-in must be, as the API said. */
function ageText(seconds: number): string {
  if (seconds % 60 === 0 && seconds >= 60) {
    const minutes = seconds / 60
    return minutes === 1 ? 'minute' : `${minutes} minutes`
  }
  return seconds === 1 ? 'second' : `${seconds} seconds`
}

/**
 * Asks for the password again while a step-up is pending (`stepUp` from `useSession()`): an API
 * route wanted a recent sign-in (RFC 9470) and the request waits. Confirming retries it, in this
 * tab and in every other; cancelling rejects it. A user with a second factor may answer with a
 * code of their authenticator app or a passkey instead.
 */
export function StepUpDialog() {
  const { stepUp, user, reauthenticate, cancelStepUp, loginWithRedirect } = useSession()
  const baton = useBatonClient()
  const titleId = useId()
  const errorId = useId()
  const dialog = useRef<HTMLDialogElement>(null)
  const open = stepUp !== null
  // The user's factors decide what else the dialog offers; listed again at each opening.
  const { list } = useFactors(open)
  const hasTotp = list?.factors.some((factor) => factor.method === 'totp') ?? false
  const hasPasskey = list?.factors.some((factor) => factor.method === 'passkey') ?? false
  const [codeChosen, setCodeChosen] = useState(false)
  // The route asked for a second factor (`acr_values="mfa"`: changing the factors of an account
  // that has one): a password, here or at the provider, cannot answer it.
  const factorOnly = stepUp?.acrValues?.includes('mfa') ?? false
  const withCode = codeChosen || (factorOnly && hasTotp)
  // Signed in through the Demo IdP (`idp-login.ts` names them `idp:<sub>`): no password here to
  // ask for. The provider asks for it again (`prompt=login`), and the user comes back to this page.
  const atProvider = user?.id.startsWith('idp:') ?? false
  const [passkeyFailure, setPasskeyFailure] = useState<string | null>(null)
  const [usingPasskey, setUsingPasskey] = useState(false)
  const [actionFailure, confirm, pending] = useActionState(
    async (_previous: string | null, form: FormData): Promise<string | null> => {
      setPasskeyFailure(null)
      try {
        if (atProvider && !withCode) {
          const maxAge = stepUp?.maxAge
          await loginWithRedirect({ prompt: 'login', ...(maxAge === undefined ? {} : { maxAge }) })
          return null
        }
        await reauthenticate(
          withCode
            ? { method: 'totp', code: formText(form, 'code').trim() }
            : { username: user?.username ?? '', password: formText(form, 'password') },
        )
        return null
      } catch (cause) {
        return stepUpError(cause, withCode)
      }
    },
    null,
  )
  const failure = passkeyFailure ?? (pending ? null : actionFailure)

  // Not a form action: the ceremony runs in the browser's own prompt.
  const withPasskey = async () => {
    setUsingPasskey(true)
    setPasskeyFailure(null)
    try {
      await reauthenticate({ method: 'passkey', assertion: await passkeyAssertion(baton) })
    } catch (cause) {
      setPasskeyFailure(factorError(cause, 'Not confirmed.'))
    } finally {
      setUsingPasskey(false)
    }
  }

  // The next step-up starts with the password again.
  useEffect(() => {
    if (open) return
    setCodeChosen(false)
    setPasskeyFailure(null)
  }, [open])

  // A modal <dialog>: focus moves into it, the page behind is inert, Escape cancels.
  useEffect(() => {
    const element = dialog.current
    if (!element) return
    if (open && !element.open) element.showModal()
    if (!open && element.open) element.close()
  }, [open])

  return (
    <dialog
      ref={dialog}
      className="step-up"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault()
        cancelStepUp()
      }}
    >
      {open && (
        <form
          action={confirm}
          className="form"
          noValidate
          aria-describedby={failure ? errorId : undefined}
        >
          <h2 id={titleId}>Confirm it’s you</h2>
          <p className="muted">
            {stepUp.maxAge === undefined
              ? 'This action needs you to sign in again.'
              : `This action needs a sign-in from the last ${ageText(stepUp.maxAge)}.`}{' '}
            {withCode
              ? 'Enter the code your authenticator app shows to continue.'
              : factorOnly
                ? 'Confirm with your passkey to continue.'
                : atProvider
                  ? 'Sign in again at Demo IdP to continue, then do it once more.'
                  : `Enter the password of ${user?.username ?? 'your account'} to continue.`}
          </p>
          {(atProvider || factorOnly) && !withCode ? null : withCode ? (
            <label className="field">
              <span>Authentication code</span>
              <input
                key="code"
                name="code"
                inputMode="numeric"
                autoComplete="one-time-code"
                required
                autoFocus
                aria-invalid={failure ? true : undefined}
              />
            </label>
          ) : (
            <label className="field">
              <span>Password</span>
              <input
                key="password"
                name="password"
                type="password"
                autoComplete="current-password"
                required
                autoFocus
                aria-invalid={failure ? true : undefined}
              />
            </label>
          )}
          {failure && (
            <p role="alert" id={errorId} className="form-error">
              {failure}
            </p>
          )}
          {(hasTotp || hasPasskey) && (
            <div className="button-row step-up-factors">
              {hasPasskey && (
                <button
                  type="button"
                  className="button"
                  disabled={pending || usingPasskey}
                  onClick={() => void withPasskey()}
                >
                  {usingPasskey ? 'Waiting for the passkey…' : 'Use a passkey'}
                </button>
              )}
              {hasTotp && !factorOnly && (
                <button type="button" className="button" onClick={() => setCodeChosen(!withCode)}>
                  {withCode
                    ? atProvider
                      ? 'Use Demo IdP'
                      : 'Use your password'
                    : 'Use your authenticator app'}
                </button>
              )}
            </div>
          )}
          <div className="step-up-actions">
            <button type="button" className="button" onClick={cancelStepUp}>
              Cancel
            </button>
            {/* A passkey alone answers it: its own button above is the confirmation. */}
            {!(factorOnly && !withCode) && (
              <button
                type="submit"
                className="button button-primary"
                disabled={pending || usingPasskey}
              >
                {pending
                  ? 'Confirming…'
                  : atProvider && !withCode
                    ? 'Continue at Demo IdP'
                    : 'Confirm'}
              </button>
            )}
          </div>
        </form>
      )}
    </dialog>
  )
}
