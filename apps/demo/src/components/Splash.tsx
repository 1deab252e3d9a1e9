import { Logo } from './Logo'

/** Shown while the client finds out whether there is a session: neither signed in nor out. */
export function Splash() {
  return (
    <div className="splash">
      <Logo size={44} />
      <p role="status" aria-label="Session status" className="splash-text">
        Checking your session…
      </p>
    </div>
  )
}
