import { useActionState, useId, useState } from 'react'
import type { TotpEnrollment, TotpConfirmation } from '@baton/client/mfa'
import { factorError, factors } from '../factors'
import { formText } from '../form'
import { QrCode } from './QrCode'

/**
 * Enrols an authenticator app: the secret as a QR code, as text and as its `otpauth://` URI, then
 * the app's first code confirms it. Until then the factor signs nobody in.
 */
export function TotpSetup({ onConfirmed }: { onConfirmed: (result: TotpConfirmation) => void }) {
  const [enrolment, setEnrolment] = useState<TotpEnrollment | null>(null)
  const [starting, setStarting] = useState(false)
  const [startError, setStartError] = useState<string | null>(null)
  const errorId = useId()

  // Not a form action: with an old sign-in the request waits for the step-up dialog, whose own
  // action React would otherwise hold behind this one.
  const start = async () => {
    setStarting(true)
    setStartError(null)
    try {
      setEnrolment(await factors.enrollTotp({ label: 'Authenticator app' }))
    } catch (cause) {
      setStartError(factorError(cause, 'The authenticator app could not be set up.'))
    } finally {
      setStarting(false)
    }
  }

  const [failure, confirm, confirming] = useActionState(
    async (_previous: string | null, form: FormData): Promise<string | null> => {
      if (!enrolment) return null
      try {
        const result = await factors.confirmTotp(enrolment.id, formText(form, 'code').trim())
        setEnrolment(null)
        onConfirmed(result)
        return null
      } catch (cause) {
        return factorError(cause, 'The app was not added.')
      }
    },
    null,
  )

  if (!enrolment) {
    return (
      <div>
        <button
          type="button"
          className="button button-primary"
          disabled={starting}
          onClick={() => void start()}
        >
          {starting ? 'Setting up…' : 'Set up an authenticator app'}
        </button>
        {startError && (
          <p role="alert" className="form-error">
            {startError}
          </p>
        )}
      </div>
    )
  }

  const shown = failure && !confirming
  return (
    <div className="totp-setup">
      <QrCode value={enrolment.uri} label="QR code for your authenticator app" />
      <div className="totp-steps">
        <p>Scan the code with your authenticator app, or type this key into it:</p>
        <p>
          <code aria-label="Secret key" className="secret">
            {enrolment.secret}
          </code>
        </p>
        <details>
          <summary>Setup link</summary>
          <code aria-label="Setup link" className="secret">
            {enrolment.uri}
          </code>
        </details>
        <form
          action={confirm}
          className="form"
          noValidate
          aria-describedby={shown ? errorId : undefined}
        >
          <label className="field">
            <span>Code from the app</span>
            <input
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]*"
              required
              aria-invalid={shown ? true : undefined}
            />
          </label>
          {shown && (
            <p role="alert" id={errorId} className="form-error">
              {failure}
            </p>
          )}
          <div className="button-row">
            <button type="submit" className="button button-primary" disabled={confirming}>
              Confirm code
            </button>
            <button type="button" className="button" onClick={() => setEnrolment(null)}>
              Cancel
            </button>
          </div>
        </form>
      </div>
    </div>
  )
}
