import { useActionState, useId, useState } from 'react'
import { useBatonClient, type FactorProof, type MfaChallenge } from '@baton/react'
import { passkeyAssertion } from '@baton/client/passkeys'
import { factorError } from '../factors'
import { formText } from '../form'
import { Logo } from './Logo'

/** The code the form asks for; `null` when only a passkey (and recovery codes) are offered. */
type CodeMethod = 'totp' | 'recovery_code' | null

interface SecondFactorStepProps {
  /** The pending sign-in, from `useMfa()`. */
  challenge: MfaChallenge
  /** `useMfa().complete`: a wrong code rejects and keeps the challenge; an expired one clears it. */
  complete: (proof: FactorProof) => Promise<unknown>
  /** `useMfa().cancel`: back to the password. */
  cancel: () => void
}

/**
 * The second step of a sign-in (`401 mfa_required`): a code from the authenticator app, a
 * recovery code, or a passkey, whichever the BFF offered for this user.
 */
export function SecondFactorStep({ challenge, complete, cancel }: SecondFactorStepProps) {
  const baton = useBatonClient()
  const offers = (method: MfaChallenge['methods'][number]) => challenge.methods.includes(method)
  const [method, setMethod] = useState<CodeMethod>(offers('totp') ? 'totp' : null)
  const [passkeyError, setPasskeyError] = useState<string | null>(null)
  const [usingPasskey, setUsingPasskey] = useState(false)
  const errorId = useId()

  const [failure, verify, pending] = useActionState(
    async (_previous: string | null, form: FormData): Promise<string | null> => {
      if (method === null) return null
      try {
        // On success the status becomes `authenticated` and the login page moves on.
        await complete({ method, code: formText(form, 'code').trim() })
        return null
      } catch (cause) {
        return factorError(cause, 'You are not signed in.')
      }
    },
    null,
  )

  const withPasskey = async () => {
    setUsingPasskey(true)
    setPasskeyError(null)
    try {
      await complete({ method: 'passkey', assertion: await passkeyAssertion(baton, challenge) })
    } catch (cause) {
      setPasskeyError(factorError(cause, 'You are not signed in.'))
    } finally {
      setUsingPasskey(false)
    }
  }

  const shown = (failure && !pending ? failure : null) ?? passkeyError
  return (
    <main className="login">
      <div className="login-card">
        <div className="login-brand">
          <Logo size={40} />
          <div>
            <h1>Two-step verification</h1>
            <p role="status" aria-label="Session status" className="muted">
              Signed out
            </p>
          </div>
        </div>
        <p className="notice">
          {method === 'totp'
            ? 'Enter the six-digit code your authenticator app shows.'
            : method === 'recovery_code'
              ? 'Enter one of your recovery codes. Each works once.'
              : 'Confirm with your passkey.'}
        </p>
        {method !== null && (
          <form
            action={verify}
            className="form"
            noValidate
            aria-describedby={shown ? errorId : undefined}
          >
            <label className="field">
              <span>{method === 'totp' ? 'Authentication code' : 'Recovery code'}</span>
              <input
                key={method}
                name="code"
                autoComplete="one-time-code"
                autoCapitalize="none"
                spellCheck={false}
                inputMode={method === 'totp' ? 'numeric' : 'text'}
                required
                autoFocus
                aria-invalid={shown ? true : undefined}
              />
            </label>
            {shown && (
              <p role="alert" id={errorId} className="form-error">
                {shown}
              </p>
            )}
            <button
              type="submit"
              className="button button-primary button-block"
              disabled={pending || usingPasskey}
            >
              Verify
            </button>
          </form>
        )}
        {method === null && shown && (
          <p role="alert" className="form-error">
            {shown}
          </p>
        )}
        <div className="button-row">
          {offers('passkey') && (
            <button
              type="button"
              className={method === null ? 'button button-primary' : 'button'}
              disabled={pending || usingPasskey}
              onClick={() => void withPasskey()}
            >
              Use a passkey
            </button>
          )}
          {offers('totp') && method !== 'totp' && (
            <button type="button" className="button" onClick={() => setMethod('totp')}>
              Use your authenticator app
            </button>
          )}
          {offers('recovery_code') && method !== 'recovery_code' && (
            <button type="button" className="button" onClick={() => setMethod('recovery_code')}>
              Use a recovery code
            </button>
          )}
          <button type="button" className="button button-ghost" onClick={cancel}>
            Back
          </button>
        </div>
      </div>
    </main>
  )
}
