import { useFactors } from '../factors'
import { dateTime, timeAgo } from '../format'
import { Link } from './Link'

/**
 * The user's passkeys, beside their sessions: a passkey is a device (or a password manager) that
 * can sign in as them. Managed on the sign-in methods page.
 */
export function DevicePasskeys() {
  const { list, error } = useFactors()
  const passkeys = list?.factors.filter((factor) => factor.method === 'passkey') ?? []
  return (
    <section className="card card-flush" aria-labelledby="passkeys-title">
      <div className="card-header">
        <h2 id="passkeys-title">
          Passkeys {list && <span className="count">{passkeys.length}</span>}
        </h2>
        <Link to="/security" className="button button-small">
          Manage sign-in methods
        </Link>
      </div>
      {error ? (
        <p role="alert" className="form-error card-body">
          {error}
        </p>
      ) : list === null ? (
        <p className="muted card-body">Loading passkeys…</p>
      ) : passkeys.length === 0 ? (
        <p className="muted card-body">No passkey can sign in as you.</p>
      ) : (
        <ul className="sessions" aria-label="Passkeys">
          {passkeys.map((passkey) => (
            <li key={passkey.id} className="session">
              <div className="session-main">
                <p className="session-name">
                  {passkey.label}
                  <span className="pill pill-accent">
                    {passkey.backedUp ? 'Synced' : 'This device only'}
                  </span>
                </p>
                <p className="session-meta">
                  Added {dateTime(passkey.createdAt)} ·{' '}
                  {passkey.lastUsedAt === null
                    ? 'Never used'
                    : `Used ${timeAgo(passkey.lastUsedAt)}`}
                </p>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
