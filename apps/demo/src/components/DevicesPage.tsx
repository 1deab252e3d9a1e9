import { useCallback, useEffect, useState } from 'react'
import { isBatonError, useBatonClient, type SessionSummary } from '@baton/react'
import { dateTime, describeDevice, timeAgo } from '../format'
import { DevicePasskeys } from './DevicePasskeys'
import { SignOutEverywhereButton } from './SignOutEverywhereButton'

/** What to tell the user when a sessions call failed: by the BFF's code, else in its words. */
function failure(error: unknown, fallback: string): string {
  if (!isBatonError(error)) return fallback
  switch (error.code) {
    case 'network_unavailable':
      return `${fallback} The server cannot be reached.`
    // The page is about to go to the login form; say why in the meantime.
    case 'session_expired':
      return 'Your session has ended.'
    // The step-up dialog was cancelled or left unanswered.
    case 'step_up_required':
      return `${fallback} Your password was not confirmed.`
    default:
      return `${fallback} ${error.message}`
  }
}

function DeviceIcon({ mobile }: { mobile: boolean }) {
  return (
    <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" className="device-icon">
      {mobile ? (
        <path
          d="M8 2h8a2 2 0 0 1 2 2v16a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2Zm3 17h2"
          fill="none"
          stroke="currentColor"
          strokeWidth="1.8"
          strokeLinecap="round"
        />
      ) : (
        <path
          d="M4 5h16a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1Zm4 15h8m-4-3v3"
          fill="none"
          stroke="currentColor"
          strokeWidth="1.8"
          strokeLinecap="round"
        />
      )}
    </svg>
  )
}

/** The user's sessions (`client.sessions.list()`), with a way to end any of the others. */
export function DevicesPage() {
  const baton = useBatonClient()
  const [sessions, setSessions] = useState<SessionSummary[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [revoking, setRevoking] = useState<string | null>(null)

  const load = useCallback(async () => {
    try {
      const list = await baton.sessions.list()
      // The current device first, then the most recently active.
      setSessions(
        [...list].sort(
          (a, b) => Number(b.current) - Number(a.current) || b.lastUsedAt - a.lastUsedAt,
        ),
      )
      setError(null)
    } catch (cause) {
      setError(failure(cause, 'The sessions could not be loaded.'))
    }
  }, [baton])

  useEffect(() => {
    void load()
  }, [load])

  const revoke = async (id: string) => {
    setRevoking(id)
    try {
      await baton.sessions.revoke(id)
      await load()
    } catch (cause) {
      // Already gone (it expired, or was revoked elsewhere) is what the user wanted: show the
      // list as it is now.
      if (isBatonError(cause) && cause.code === 'not_found') await load()
      else setError(failure(cause, 'The session could not be revoked. Try again.'))
    } finally {
      setRevoking(null)
    }
  }

  // Ending other sessions needs a recent sign-in: with an old one the step-up dialog asks for the
  // password, and the request goes through once it is confirmed.
  const revokeOthers = async () => {
    setRevoking('others')
    try {
      await baton.sessions.revokeOthers()
      await load()
    } catch (cause) {
      setError(failure(cause, 'The other devices could not be signed out.'))
    } finally {
      setRevoking(null)
    }
  }

  const others = sessions?.filter((session) => !session.current).length ?? 0

  return (
    <section className="page" aria-labelledby="devices-title">
      <div className="page-header page-header-row">
        <div>
          <h1 id="devices-title">Devices</h1>
          <p className="lede">
            Everywhere you are signed in. Revoking a session signs that device out: its access token
            is refused by the API at once and its refresh cookie stops working.
          </p>
        </div>
        <button type="button" className="button" onClick={() => void load()}>
          Reload sessions
        </button>
      </div>

      {error && (
        <p role="alert" className="form-error">
          {error}
        </p>
      )}

      <section className="card card-flush" aria-labelledby="sessions-title">
        <div className="card-header">
          <h2 id="sessions-title">
            Active sessions {sessions && <span className="count">{sessions.length}</span>}
          </h2>
          {others > 0 && (
            <button
              type="button"
              className="button button-small button-danger-outline"
              disabled={revoking !== null}
              onClick={() => void revokeOthers()}
            >
              Sign out other devices
            </button>
          )}
        </div>
        {sessions === null ? (
          <p className="muted card-body">Loading sessions…</p>
        ) : (
          <ul className="sessions" aria-label="Sessions">
            {sessions.map((session) => {
              const device = describeDevice(session.userAgent)
              const labelId = `session-${session.id}`
              return (
                <li
                  key={session.id}
                  className={session.current ? 'session session-current' : 'session'}
                >
                  <DeviceIcon mobile={device.mobile} />
                  <div className="session-main">
                    <p className="session-name" id={labelId}>
                      {device.name}
                      {session.current && <span className="pill pill-accent">This device</span>}
                      {session.bound ? (
                        <span
                          className="pill pill-ok"
                          title="Bound to a key that never leaves this device's browser: a copied cookie or token is useless elsewhere."
                        >
                          Device-bound
                        </span>
                      ) : (
                        <span
                          className="pill pill-warning"
                          title="Not bound to a device key (the browser could not keep one): a copied cookie would work elsewhere."
                        >
                          Not bound
                        </span>
                      )}
                    </p>
                    <p className="session-meta">
                      Signed in {dateTime(session.createdAt)} · Active {timeAgo(session.lastUsedAt)}
                      {session.ip && <> · {session.ip}</>}
                    </p>
                  </div>
                  {!session.current && (
                    <button
                      type="button"
                      className="button button-small button-danger-outline"
                      aria-describedby={labelId}
                      disabled={revoking === session.id}
                      onClick={() => void revoke(session.id)}
                    >
                      Revoke
                    </button>
                  )}
                </li>
              )
            })}
          </ul>
        )}
      </section>

      <DevicePasskeys />

      <section className="card danger-zone" aria-labelledby="everywhere-title">
        <div>
          <h2 id="everywhere-title" className="danger-title">
            Sign out everywhere
          </h2>
          <p className="muted">
            {others === 0
              ? 'Ends this session in every tab.'
              : `Ends this session and ${others === 1 ? 'the other one' : `the ${others} others`}, in every tab and on every device.`}
          </p>
        </div>
        <SignOutEverywhereButton />
      </section>
    </section>
  )
}
