import type { AdminUserSessions } from '../../server/admin'
import { dateTime, describeDevice, timeAgo } from '../format'

/** One user's live sessions, as `GET /api/admin/sessions` lists them. */
export type AdminUser = AdminUserSessions

interface AdminSessionsProps {
  users: AdminUser[] | null
  /** The session this console runs in: revoking it signs the administrator out. */
  currentSessionId: string | null
  busy: string | null
  onRevokeSession: (sessionId: string) => void
  onRevokeUser: (userId: string) => void
}

/** Active sessions per user, each with a revoke button, and one per user for all of them. */
export function AdminSessions(props: AdminSessionsProps) {
  const { users, currentSessionId, busy } = props
  return (
    <section className="card card-flush" aria-labelledby="admin-sessions-title">
      <div className="card-header">
        <div>
          <h2 id="admin-sessions-title">Active sessions</h2>
          <p className="muted">Revoking ends the session at once, on every instance.</p>
        </div>
      </div>
      {users === null ? (
        <p className="muted card-body">Loading sessions…</p>
      ) : (
        <ul className="admin-users" aria-label="Active sessions per user">
          {users.map((user) => (
            <li key={user.id} className="admin-user" data-user={user.username}>
              <div className="admin-user-header">
                <span className="avatar" aria-hidden="true">
                  {user.name.slice(0, 1)}
                </span>
                <div className="admin-user-name">
                  <strong>{user.name}</strong>{' '}
                  <span className="muted">
                    @{user.username} · {user.role}
                  </span>
                </div>
                <span className="count" aria-label={`${user.sessions.length} active sessions`}>
                  {user.sessions.length}
                </span>
                <button
                  type="button"
                  className="button button-small button-danger-outline"
                  disabled={user.sessions.length === 0 || busy !== null}
                  onClick={() => props.onRevokeUser(user.id)}
                >
                  Revoke all
                </button>
              </div>
              {user.sessions.length > 0 && (
                <ul className="admin-sessions">
                  {user.sessions.map((session) => (
                    <li key={session.id} className="admin-session">
                      <span className="mono" title={session.id}>
                        {session.id.slice(0, 8)}…
                      </span>
                      <span>{describeDevice(session.userAgent).name}</span>
                      <span className="mono muted">{session.ip ?? 'unknown IP'}</span>
                      <span className="muted" title={`since ${dateTime(session.createdAt)}`}>
                        active {timeAgo(session.lastUsedAt)}
                      </span>
                      {session.id === currentSessionId ? (
                        <span className="pill pill-accent">this console</span>
                      ) : (
                        <button
                          type="button"
                          className="button button-small"
                          disabled={busy !== null}
                          aria-label={`Revoke session ${session.id.slice(0, 8)} of ${user.name}`}
                          onClick={() => props.onRevokeSession(session.id)}
                        >
                          {busy === session.id ? 'Revoking…' : 'Revoke'}
                        </button>
                      )}
                    </li>
                  ))}
                </ul>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
