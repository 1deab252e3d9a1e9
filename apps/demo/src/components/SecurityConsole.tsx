import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { useSessionState } from '@baton/react'
import { api } from '../baton'
import { SESSION_CHANGES, type AuditEvent } from '../console-state'
import { AdminSessions, type AdminUser } from './AdminSessions'
import { AuditEventsTable } from './AuditEventsTable'
import { ConsoleAlarms } from './ConsoleAlarms'
import { ConsoleStats } from './ConsoleStats'
import { RefreshChart } from './RefreshChart'
import { useAdminStream, type Connection } from './useAdminStream'
import '../security-console.css'

/** The BFF's CSRF header; the admin's DELETE routes check it like the auth routes do. */
const CSRF = { 'x-csrf': '1' }

const CONNECTION_LABEL: Record<Connection, [string, string]> = {
  connecting: ['Connecting…', 'pill'],
  live: ['Live', 'pill pill-ok'],
  reconnecting: ['Reconnecting…', 'pill pill-warning'],
  forbidden: ['Administrators only', 'pill pill-danger'],
  ended: ['Session ended', 'pill pill-danger'],
}

/**
 * The security console (`/admin`): every user's audit events live, refreshes per minute, reuse
 * alarms, anomalies, rate-limited requests, and the active sessions of each user with revoke
 * buttons. The server decides who may see it; the page only hides its link from others.
 */
export function SecurityConsole() {
  const role = useSessionState((state) => state.user?.role)
  const sessionId = useSessionState((state) => state.sessionId)
  const [users, setUsers] = useState<AdminUser[] | null>(null)
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined)

  const loadSessions = useCallback(async () => {
    try {
      const body = await api.get('admin/sessions').json<{ users: AdminUser[] }>()
      setUsers(body.users)
    } catch {
      setError('The sessions could not be loaded.')
    }
  }, [])

  // Several events often come together (a sign-in replacing a session): one reload for them.
  const onEvent = useCallback(
    (event: AuditEvent) => {
      if (!SESSION_CHANGES.has(event.type)) return
      clearTimeout(reloadTimer.current)
      reloadTimer.current = setTimeout(() => void loadSessions(), 250)
    },
    [loadSessions],
  )
  const { state, connection } = useAdminStream(onEvent)

  useEffect(() => {
    if (role === 'admin') void loadSessions()
    return () => clearTimeout(reloadTimer.current)
  }, [role, loadSessions])

  const revoke = async (key: string, path: string) => {
    setBusy(key)
    setError(null)
    try {
      await api.delete(path, { headers: CSRF })
    } catch {
      setError('The revocation failed; the list shows what is live now.')
    } finally {
      setBusy(null)
      await loadSessions()
    }
  }

  const names = useMemo(() => new Map(users?.map((user) => [user.id, user.name])), [users])
  const nameOf = (id: string) => names.get(id)
  const [label, pillClass] = CONNECTION_LABEL[connection]

  // No user yet (the session is resuming): who may see the console is not known.
  if (role === undefined && connection !== 'forbidden') {
    return (
      <section className="page" aria-labelledby="console-title">
        <div className="page-header">
          <h1 id="console-title">Security console</h1>
        </div>
      </section>
    )
  }

  if (role !== 'admin' || connection === 'forbidden') {
    return (
      <section className="page" aria-labelledby="console-title">
        <div className="page-header">
          <h1 id="console-title">Security console</h1>
          <p role="alert" className="form-error">
            The security console is for administrators.
          </p>
        </div>
      </section>
    )
  }

  return (
    <section className="page" aria-labelledby="console-title">
      <div className="page-header page-header-row">
        <div>
          <h1 id="console-title">Security console</h1>
          <p className="lede">
            Every user’s audit events as the BFF emits them, streamed over server-sent events.
          </p>
        </div>
        <span className={pillClass} role="status" aria-label="Stream status">
          {label}
        </span>
      </div>

      {error && (
        <p role="alert" className="form-error">
          {error}
        </p>
      )}

      <ConsoleStats state={state} />

      <div className="grid">
        <div className="column">
          <section className="card" aria-labelledby="chart-title">
            <h2 id="chart-title">Refreshes per minute</h2>
            <RefreshChart counts={state.refreshesPerMinute} />
          </section>
          <ConsoleAlarms events={state.events} nameOf={nameOf} />
          <AdminSessions
            users={users}
            currentSessionId={sessionId}
            busy={busy}
            onRevokeSession={(id) => void revoke(id, `admin/sessions/${encodeURIComponent(id)}`)}
            onRevokeUser={(id) =>
              void revoke(`user:${id}`, `admin/users/${encodeURIComponent(id)}/sessions`)
            }
          />
        </div>
        <div className="column">
          <AuditEventsTable events={state.events} nameOf={nameOf} />
        </div>
      </div>
    </section>
  )
}
