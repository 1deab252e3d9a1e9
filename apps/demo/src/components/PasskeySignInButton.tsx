import { useState } from 'react'
import { useBatonClient } from '@baton/react'
import { browserSupportsWebAuthn, signInWithPasskey } from '@baton/client/passkeys'
import { factorError } from '../factors'

/**
 * "Sign in with a passkey": no username, no password. The browser lists this site's passkeys,
 * and the BFF signs in the user the chosen one belongs to, in every tab.
 */
export function PasskeySignInButton() {
  const baton = useBatonClient()
  const [pending, setPending] = useState(false)
  const [failure, setFailure] = useState<string | null>(null)
  if (!browserSupportsWebAuthn()) return null

  const signIn = async () => {
    setPending(true)
    setFailure(null)
    try {
      // On success the status becomes `authenticated` and the login page moves on.
      await signInWithPasskey(baton)
    } catch (cause) {
      setFailure(factorError(cause, 'You are not signed in.'))
    } finally {
      setPending(false)
    }
  }

  return (
    <>
      <button
        type="button"
        className="button button-block passkey-button"
        disabled={pending}
        onClick={() => void signIn()}
      >
        Sign in with a passkey
      </button>
      {failure && (
        <p role="alert" className="form-error">
          {failure}
        </p>
      )}
    </>
  )
}
