import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react'
import { useBatonClient, useSessionState } from '@baton/react'
import { readEventStream } from '../admin-events'
import { api } from '../baton'
import {
  addEvent,
  advanceChart,
  describeEvent,
  emptyConsole,
  fromSnapshot,
  SESSION_CHANGES,
  type AuditEvent,
  type ConsoleSnapshot,
  type ConsoleState,
} from '../console-state'
import { clockTime } from '../format'
import { AdminSessions, type AdminUser } from './AdminSessions'
import { RefreshChart } from './RefreshChart'
import '../security-console.css'

/** The BFF's CSRF header; the admin's DELETE routes check it like the auth routes do. */
const CSRF = { 'x-csrf': '1' }

/** Wait before reconnecting after a dropped connection (an expired token reconnects at once). */
const RECONNECT_MS = 2_000

type Action =
  | { type: 'snapshot'; snapshot: ConsoleSnapshot }
  | { type: 'event'; seq: number; event: AuditEvent }
  | { type: 'tick'; now: number }

function reduce(state: ConsoleState, action: Action): ConsoleState {
  switch (action.type) {
    case 'snapshot':
      return fromSnapshot(action.snapshot)
    case 'event':
      return addEvent(state, action.seq, action.event)
    case 'tick':
      return advanceChart(state, action.now)
  }
}

type Connection = 'connecting' | 'live' | 'reconnecting' | 'forbidden' | 'ended'

/**
 * Reads the admin event stream for as long as the page is open: a new connection whenever one
 * ends because its token expired or the network dropped, none once the server refused it (not an
 * administrator) or ended it because this session was revoked.
 */
function useAdminStream(onEvent: (event: AuditEvent) => void) {
  const baton = useBatonClient()
  const [state, dispatch] = useReducer(reduce, emptyConsole)
  const [connection, setConnection] = useState<Connection>('connecting')
  const onEventRef = useRef(onEvent)
  onEventRef.current = onEvent

  useEffect(() => {
    const controller = new AbortController()
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
    void (async () => {
      while (!controller.signal.aborted) {
        let retryIn = RECONNECT_MS
        try {
          const outcome = await readEventStream(
            (input, init) => baton.fetch(input, init),
            '/api/admin/events',
            (message) => {
              if (message.event === 'snapshot') {
                dispatch({
                  type: 'snapshot',
                  snapshot: JSON.parse(message.data) as ConsoleSnapshot,
                })
                setConnection('live')
              } else if (message.event === 'audit') {
                const event = JSON.parse(message.data) as AuditEvent
                dispatch({ type: 'event', seq: Number(message.id), event })
                onEventRef.current(event)
              }
            },
            controller.signal,
          )
          if (outcome.kind === 'refused' && outcome.status === 403) {
            setConnection('forbidden')
            return
          }
          if (outcome.kind === 'ended' && outcome.reason === 'revoked') {
            setConnection('ended')
            return
          }
          if (outcome.kind === 'ended' && outcome.reason === 'expired') retryIn = 0
        } catch {
          if (controller.signal.aborted) return
        }
        setConnection('reconnecting')
        await sleep(retryIn)
      }
    })()
    return () => controller.abort()
  }, [baton])

  // The chart moves on even when nothing happens.
  useEffect(() => {
    const timer = setInterval(() => dispatch({ type: 'tick', now: Date.now() }), 10_000)
    return () => clearInterval(timer)
  }, [])

  return { state, connection }
}

function Stat(props: { label: string; value: number; tone?: 'danger' | 'warning'; id: string }) {
  const alarming = props.value > 0 && props.tone !== undefined
  return (
    <div className={`stat${alarming ? ` stat-${props.tone}` : ''}`} data-stat={props.id}>
      <span className="stat-value">{props.value}</span>
      <span className="stat-label">{props.label}</span>
    </div>
  )
}

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
  const alarms = state.events.filter(({ event }) =>
    ['reuse_detected', 'anomaly_detected', 'rate_limited'].includes(event.type),
  )
  const total = (type: string) => state.totals[type] ?? 0
  const [label, pillClass] = CONNECTION_LABEL[connection]

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

      <div className="stats" aria-label="At a glance">
        <Stat
          id="refreshes"
          label="refreshes this minute"
          value={state.refreshesPerMinute.at(-1) ?? 0}
        />
        <Stat id="logins" label="sign-ins" value={total('login')} />
        <Stat id="failed" label="failed sign-ins" value={total('login_failed')} tone="warning" />
        <Stat id="reuse" label="reuse alarms" value={total('reuse_detected')} tone="danger" />
        <Stat id="anomalies" label="anomalies" value={total('anomaly_detected')} tone="danger" />
        <Stat id="rate-limited" label="rate-limited" value={total('rate_limited')} tone="warning" />
      </div>

      <div className="grid">
        <div className="column">
          <section className="card" aria-labelledby="chart-title">
            <h2 id="chart-title">Refreshes per minute</h2>
            <RefreshChart counts={state.refreshesPerMinute} />
          </section>
          <section className="card card-flush" aria-labelledby="alarms-title">
            <div className="card-header">
              <h2 id="alarms-title">Alarms</h2>
            </div>
            {alarms.length === 0 ? (
              <p className="muted card-body">No reuse, anomaly or rate limit so far.</p>
            ) : (
              <ul className="alarms" aria-label="Alarms">
                {alarms.map(({ seq, event }) => (
                  <li key={seq} data-event={event.type}>
                    <span className="mono">{clockTime(event.at)}</span>{' '}
                    {describeEvent(event, (id) => names.get(id)).text}
                    {event.action !== undefined && (
                      <span className="pill pill-danger">action: {String(event.action)}</span>
                    )}
                    {event.ip && <span className="mono muted"> {event.ip}</span>}
                  </li>
                ))}
              </ul>
            )}
          </section>
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
          <section className="card card-flush" aria-labelledby="audit-title">
            <div className="card-header">
              <div>
                <h2 id="audit-title">Audit events</h2>
                <p className="muted">All users, newest first.</p>
              </div>
            </div>
            <div className="table-scroll">
              <table className="events" aria-label="Audit events">
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Event</th>
                    <th scope="col">IP</th>
                  </tr>
                </thead>
                <tbody>
                  {state.events.length === 0 ? (
                    <tr>
                      <td colSpan={3} className="empty">
                        Waiting for events…
                      </td>
                    </tr>
                  ) : (
                    state.events.map(({ seq, event }) => {
                      const { tone, text } = describeEvent(event, (id) => names.get(id))
                      return (
                        <tr key={seq} data-event={event.type} data-user={event.userId ?? undefined}>
                          <td className="mono">{clockTime(event.at)}</td>
                          <td>
                            <span className={`dot dot-${tone}`} aria-hidden="true" />
                            <span className="event-type mono">{event.type}</span> {text}
                          </td>
                          <td className="mono muted">{event.ip ?? '—'}</td>
                        </tr>
                      )
                    })
                  )}
                </tbody>
              </table>
            </div>
          </section>
        </div>
      </div>
    </section>
  )
}
