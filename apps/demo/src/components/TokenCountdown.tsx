import { useEffect, useState } from 'react'
import { useSessionState } from '@baton/react'
import { clockTime, countdown } from '../format'

/** Re-renders every `intervalMs` while mounted; returns the current time. */
function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs)
    return () => clearInterval(timer)
  }, [intervalMs])
  return now
}

/**
 * A live countdown to this tab's access-token expiry. It reads only `expiresAt` and
 * `tokenLifetime`, so it follows every refresh, from this tab or another, without re-rendering
 * anything else.
 */
export function TokenCountdown() {
  const expiresAt = useSessionState((state) => state.expiresAt)
  const tokenLifetime = useSessionState((state) => state.tokenLifetime)
  const now = useNow(250)

  // No token yet (the session is resuming): the card's frame, so the grant fills it in place.
  if (expiresAt === null) {
    return (
      <div className="countdown countdown-pending">
        <div className="card-title-row">
          <h2 id="token-title">Access token</h2>
        </div>
        <p className="countdown-label">Access token expires in</p>
        <p className="countdown-value">–:––</p>
        <div className="meter" aria-hidden="true" />
        <p className="countdown-note">Resuming the session…</p>
      </div>
    )
  }
  const remaining = expiresAt - now
  // The store knows the token's whole lifetime; without it (never with a token), show it full.
  const lifetime = Math.max(1, tokenLifetime ?? remaining)
  const fraction = Math.min(1, Math.max(0, remaining / lifetime))
  const expired = remaining <= 0
  const tone = expired ? 'expired' : fraction < 0.2 ? 'warning' : 'ok'

  const pill = {
    ok: ['pill-ok', 'Active'],
    warning: ['pill-warning', 'Expiring soon'],
    expired: ['pill-danger', 'Expired'],
  }[tone]

  return (
    <div className={`countdown countdown-${tone}`}>
      <div className="card-title-row">
        <h2 id="token-title">Access token</h2>
        <span className={`pill ${pill[0]}`}>
          <span className="dot" aria-hidden="true" /> {pill[1]}
        </span>
      </div>
      <p className="countdown-label" id="countdown-label">
        Access token expires in
      </p>
      <p role="timer" aria-labelledby="countdown-label" className="countdown-value">
        {countdown(remaining)}
      </p>
      <div
        className="meter"
        role="meter"
        aria-label="Access token lifetime left"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(fraction * 100)}
      >
        <div className="meter-fill" style={{ width: `${fraction * 100}%` }} />
      </div>
      <p className="countdown-note">
        {expired
          ? 'Expired. The next request refreshes it, once for every tab.'
          : `Valid until ${clockTime(expiresAt)}. Refreshed silently before then.`}
      </p>
    </div>
  )
}
