import { useSessionState } from '@baton/react'
import { EventLog } from './EventLog'
import { NotesCard } from './NotesCard'
import { TransferCard } from './TransferCard'
import { SessionControls } from './SessionControls'
import { TokenCountdown } from './TokenCountdown'

function SessionFacts() {
  const user = useSessionState((state) => state.user)
  const sessionId = useSessionState((state) => state.sessionId)
  return (
    <dl className="facts">
      <div>
        <dt>User</dt>
        <dd>
          {user ? (
            <>
              {user.name} <span className="muted">({user.email})</span>
            </>
          ) : (
            '…'
          )}
        </dd>
      </div>
      <div>
        <dt>Session</dt>
        <dd className="mono" title={sessionId ?? undefined}>
          {sessionId ? `${sessionId.slice(0, 10)}…` : '…'}
        </dd>
      </div>
      <div>
        <dt>Refresh token</dt>
        <dd>HttpOnly cookie, rotated on every refresh</dd>
      </div>
    </dl>
  )
}

export function Dashboard() {
  const name = useSessionState((state) => state.user?.name)
  return (
    <section className="page" aria-labelledby="dashboard-title">
      <div className="page-header">
        <h1 id="dashboard-title">Dashboard</h1>
        <p className="lede">
          Welcome back{name ? `, ${name}` : ''}. Open this page in more tabs: they share one access
          token and one refresh, and signing out in one signs out all.
        </p>
      </div>
      <div className="grid">
        <div className="column">
          <section className="card" aria-labelledby="token-title">
            <TokenCountdown />
            <SessionFacts />
          </section>
          <EventLog />
        </div>
        <div className="column">
          <SessionControls />
          <NotesCard />
          <TransferCard />
        </div>
      </div>
    </section>
  )
}
