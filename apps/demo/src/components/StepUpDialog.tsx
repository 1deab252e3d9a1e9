import { useActionState, useEffect, useId, useRef } from 'react'
import { isBatonError, useSession } from '@baton/react'
import { formText } from '../form'

/** What to tell the user when `reauthenticate()` rejected; the dialog stays open to try again. */
function stepUpError(error: unknown): string {
  if (!isBatonError(error)) return 'Something went wrong. Please try again.'
  switch (error.code) {
    case 'invalid_credentials':
      return 'That password is incorrect.'
    case 'rate_limited':
      return error.retryAfter === undefined
        ? error.message
        : `${error.message} Try again in ${error.retryAfter} s.`
    case 'network_unavailable':
      return 'The server cannot be reached. Check your connection and try again.'
    case 'invalid_request':
      return 'Enter your password.'
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
 * tab and in every other; cancelling rejects it.
 */
export function StepUpDialog() {
  const { stepUp, user, reauthenticate, cancelStepUp } = useSession()
  const titleId = useId()
  const errorId = useId()
  const dialog = useRef<HTMLDialogElement>(null)
  const [failure, confirm, pending] = useActionState(
    async (_previous: string | null, form: FormData): Promise<string | null> => {
      try {
        await reauthenticate({
          username: user?.username ?? '',
          password: formText(form, 'password'),
        })
        return null
      } catch (cause) {
        return stepUpError(cause)
      }
    },
    null,
  )
  const open = stepUp !== null

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
          aria-describedby={failure && !pending ? errorId : undefined}
        >
          <h2 id={titleId}>Confirm it’s you</h2>
          <p className="muted">
            {stepUp.maxAge === undefined
              ? 'This action needs you to sign in again.'
              : `This action needs a sign-in from the last ${ageText(stepUp.maxAge)}.`}{' '}
            Enter the password of {user?.username ?? 'your account'} to continue.
          </p>
          <label className="field">
            <span>Password</span>
            <input
              name="password"
              type="password"
              autoComplete="current-password"
              required
              autoFocus
              aria-invalid={failure && !pending ? true : undefined}
            />
          </label>
          {failure && !pending && (
            <p role="alert" id={errorId} className="form-error">
              {failure}
            </p>
          )}
          <div className="step-up-actions">
            <button type="button" className="button" onClick={cancelStepUp}>
              Cancel
            </button>
            <button type="submit" className="button button-primary" disabled={pending}>
              {pending ? 'Confirming…' : 'Confirm'}
            </button>
          </div>
        </form>
      )}
    </dialog>
  )
}
