import { useState } from 'react'
import { useBatonClient, useSessionState } from '@baton/react'
import { api } from '../baton'
import { eventLog } from '../event-log'
import { SignOutEverywhereButton } from './SignOutEverywhereButton'

interface Result {
  succeeded: number
  total: number
  ms: number
  detail: string
}

const describeFailure = (reason: unknown) =>
  reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason)

/** The buttons that exercise the session: one call, a burst of 20, a forced expiry, sign-out. */
export function SessionControls() {
  // The client itself, not useSession(): this card need not re-render on every token refresh.
  const baton = useBatonClient()
  const name = useSessionState((state) => state.user?.name)
  const [result, setResult] = useState<Result | null>(null)
  const [running, setRunning] = useState(false)

  const call = async (count: number) => {
    setRunning(true)
    const started = performance.now()
    const outcomes = await Promise.allSettled(
      Array.from({ length: count }, () => api.get('me').json<{ name: string | null }>()),
    )
    const ms = Math.round(performance.now() - started)
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected')
    const first = outcomes.find((outcome) => outcome.status === 'fulfilled')
    setResult({
      succeeded: count - failures.length,
      total: count,
      ms,
      detail:
        failures[0] !== undefined
          ? describeFailure(failures[0].reason)
          : count === 1
            ? `GET /api/me answered for ${first?.value.name ?? 'you'}`
            : `${count} × GET /api/me, sent at once`,
    })
    setRunning(false)
  }

  const expireNow = () => {
    baton.invalidateAccessToken()
    eventLog.note(
      'expired_by_hand',
      'Access token discarded by hand; the next request refreshes it',
    )
  }

  return (
    <section className="card" aria-labelledby="controls-title">
      <h2 id="controls-title">Try it</h2>
      <p className="muted">
        Requests wait while a refresh is in flight in any tab, then go out with the new token.
      </p>
      <ul className="actions">
        <li>
          <button
            type="button"
            className="button button-primary"
            onClick={() => void call(1)}
            disabled={running}
          >
            Call API
          </button>
          <span>One GET /api/me with this tab&apos;s token.</span>
        </li>
        <li>
          <button type="button" className="button" onClick={() => void call(20)} disabled={running}>
            Fire 20 requests
          </button>
          <span>All at once. With an expired token they wait for a single refresh.</span>
        </li>
        <li>
          <button type="button" className="button" onClick={expireNow}>
            Expire access token now
          </button>
          <span>This tab forgets its token; the next request refreshes it.</span>
        </li>
      </ul>
      <div
        role="status"
        aria-label="API result"
        className={`result ${result ? (result.succeeded === result.total ? 'result-ok' : 'result-bad') : ''}`}
      >
        {result ? (
          <>
            <strong>
              {result.succeeded} of {result.total} succeeded
            </strong>
            <span className="result-detail">
              {result.detail} · {result.ms} ms
            </span>
          </>
        ) : (
          <span className="muted">No requests yet.</span>
        )}
      </div>
      <hr className="divider" />
      <div className="danger-zone danger-zone-stacked">
        <div>
          <p className="danger-title">Sign out everywhere</p>
          <p className="muted">
            Ends every session of {name ?? 'this account'}, on every device and tab.
          </p>
        </div>
        <SignOutEverywhereButton />
      </div>
    </section>
  )
}
