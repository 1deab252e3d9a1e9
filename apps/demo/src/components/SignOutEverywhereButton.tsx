import { useBatonClient } from '@baton/react'

/** Ends every session of the user, on every device; every tab follows through the client. */
export function SignOutEverywhereButton() {
  const baton = useBatonClient()
  return (
    <button
      type="button"
      className="button button-danger"
      onClick={() => {
        // The tab is signed out even when the BFF cannot be reached; the login page then says
        // the sign-out is not confirmed yet, and the next start sends it again (everywhere).
        baton.logout({ everywhere: true }).catch(() => {})
      }}
    >
      Sign out everywhere
    </button>
  )
}
