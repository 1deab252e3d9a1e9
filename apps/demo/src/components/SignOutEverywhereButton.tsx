import { useBatonClient } from '@baton/react'

/** Ends every session of the user, on every device; every tab follows through the client. */
export function SignOutEverywhereButton() {
  const baton = useBatonClient()
  return (
    <button
      type="button"
      className="button button-danger"
      onClick={() => {
        // The tab is signed out even when the BFF cannot be reached; the status shows the rest.
        baton.logout({ everywhere: true }).catch(() => {})
      }}
    >
      Sign out everywhere
    </button>
  )
}
