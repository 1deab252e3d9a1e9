/**
 * @module
 * What the security console shows, computed from the stream: the server's snapshot, then every
 * audit event as it arrives. Pure, so the tests drive it without a browser.
 */

/** An audit event as the BFF emits it (`BffEvent` of `@baton/bff`), as JSON. */
export interface AuditEvent {
  type: string
  at: number
  ip: string | null
  userAgent: string | null
  userId?: string | null
  sessionId?: string
  username?: string
  reason?: string
  action?: string
  route?: string
  [field: string]: unknown
}

/** The `snapshot` message (`HubSnapshot` of the demo server). */
export interface ConsoleSnapshot {
  events: { seq: number; event: AuditEvent }[]
  chartStart: number
  refreshesPerMinute: number[]
  totals: Record<string, number>
}

/** The console's state. */
export interface ConsoleState {
  /** Newest first, at most {@link MAX_EVENTS}. */
  events: { seq: number; event: AuditEvent }[]
  chartStart: number
  refreshesPerMinute: number[]
  totals: Record<string, number>
}

/** Events kept on the page. */
export const MAX_EVENTS = 200

const MINUTE = 60_000

export const emptyConsole: ConsoleState = {
  events: [],
  chartStart: 0,
  refreshesPerMinute: [],
  totals: {},
}

/** The state a snapshot opens on (it replaces everything: a reconnect starts over). */
export function fromSnapshot(snapshot: ConsoleSnapshot): ConsoleState {
  return {
    events: [...snapshot.events].reverse().slice(0, MAX_EVENTS),
    chartStart: snapshot.chartStart,
    refreshesPerMinute: [...snapshot.refreshesPerMinute],
    totals: { ...snapshot.totals },
  }
}

/**
 * Moves the chart's window so that it ends with the minute of `now`: the oldest minutes drop off,
 * empty ones come in.
 */
export function advanceChart(state: ConsoleState, now: number): ConsoleState {
  const length = state.refreshesPerMinute.length
  if (length === 0) return state
  const last = state.chartStart + (length - 1) * MINUTE
  const shift = Math.floor((now - last) / MINUTE)
  if (shift <= 0) return state
  const kept = state.refreshesPerMinute.slice(Math.min(shift, length))
  return {
    ...state,
    chartStart: state.chartStart + shift * MINUTE,
    refreshesPerMinute: [...kept, ...Array<number>(length - kept.length).fill(0)],
  }
}

/** Adds one live event. An event already seen (same `seq`, after a reconnect) is ignored. */
export function addEvent(state: ConsoleState, seq: number, event: AuditEvent): ConsoleState {
  if (state.events.some((entry) => entry.seq === seq)) return state
  let next: ConsoleState = {
    ...state,
    events: [{ seq, event }, ...state.events].slice(0, MAX_EVENTS),
    totals: { ...state.totals, [event.type]: (state.totals[event.type] ?? 0) + 1 },
  }
  if (event.type === 'refresh') {
    next = advanceChart(next, event.at)
    const index = Math.floor((event.at - next.chartStart) / MINUTE)
    if (index >= 0 && index < next.refreshesPerMinute.length) {
      const counts = [...next.refreshesPerMinute]
      counts[index] = (counts[index] ?? 0) + 1
      next = { ...next, refreshesPerMinute: counts }
    }
  }
  return next
}

/** Events that change who has a session: the sessions table reloads after them. */
export const SESSION_CHANGES: ReadonlySet<string> = new Set([
  'login',
  'logout',
  'revoked',
  'reuse_detected',
  'expired',
  'session_limit',
])

/** How an event is shown: a severity for its colour and one line of text. */
export function describeEvent(
  event: AuditEvent,
  nameOf: (userId: string) => string | undefined = () => undefined,
): { tone: 'ok' | 'info' | 'warning' | 'danger'; text: string } {
  const who =
    event.username ?? (event.userId ? (nameOf(event.userId) ?? event.userId) : null) ?? 'someone'
  switch (event.type) {
    case 'login':
      return { tone: 'ok', text: `${who} signed in` }
    case 'login_failed':
      return { tone: 'warning', text: `Wrong password for "${who}"` }
    case 'refresh':
      return {
        tone: 'info',
        text: `${who} refreshed${event.duplicate === true ? ' (grace window)' : ''}`,
      }
    case 'logout':
      return {
        tone: 'info',
        text: `${who} signed out${event.everywhere === true ? ' everywhere' : ''}`,
      }
    case 'revoked':
      return { tone: 'warning', text: `A session of ${who} was revoked (${event.reason ?? '?'})` }
    case 'reuse_detected':
      return { tone: 'danger', text: `Refresh token reuse by ${who}: session revoked` }
    case 'anomaly_detected':
      return { tone: 'danger', text: `Anomaly for ${who}: ${event.action ?? 'log'}` }
    case 'rate_limited':
      return { tone: 'warning', text: `Rate limited on ${event.route ?? 'an auth route'}` }
    case 'csrf_failed':
      return {
        tone: 'warning',
        text: `CSRF check failed on ${event.route ?? '?'} (${event.reason ?? '?'})`,
      }
    case 'expired':
      return { tone: 'info', text: `A session of ${who} expired (${event.reason ?? '?'})` }
    default:
      return { tone: 'info', text: event.type.replaceAll('_', ' ') }
  }
}
