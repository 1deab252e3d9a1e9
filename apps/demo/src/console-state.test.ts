import { describe, expect, it } from 'vitest'
import { MIN_STREAM_MS, RECONNECT_MS, reconnectDelay, sseParser } from './admin-events'
import {
  addEvent,
  advanceChart,
  describeEvent,
  fromSnapshot,
  MAX_EVENTS,
  type AuditEvent,
} from './console-state'

const MINUTE = 60_000
const T = Date.UTC(2026, 10, 20, 12, 0, 0)

const event = (type: string, at: number, fields: Partial<AuditEvent> = {}): AuditEvent => ({
  type,
  at,
  ip: null,
  userAgent: null,
  ...fields,
})

describe('sseParser', () => {
  it('Should split messages across chunks, join data lines and skip comments', () => {
    const parse = sseParser()
    expect(parse('event: audit\nid: 7\ndata: {"type"')).toStrictEqual([])
    expect(parse(':"login"}\r\n\r\n: ping\n\nevent: snap')).toStrictEqual([
      { event: 'audit', id: '7', data: '{"type":"login"}' },
    ])
    expect(parse('shot\ndata: a\ndata: b\n\nevent: end\ndata: revoked\n\n')).toStrictEqual([
      { event: 'snapshot', data: 'a\nb' },
      { event: 'end', data: 'revoked' },
    ])
  })
})

describe('reconnectDelay', () => {
  it('Should reconnect at once after an expired token, but back off if the stream ended at once', () => {
    const expired = { kind: 'ended', reason: 'expired' } as const
    expect(reconnectDelay(expired, 60_000)).toBe(0)
    // An `end: expired` 1 ms after connecting (the server's expiry timer overflowed) used to
    // reconnect at once, in a tight loop.
    expect(reconnectDelay(expired, 1)).toBe(MIN_STREAM_MS)
    expect(reconnectDelay({ kind: 'closed' }, 60_000)).toBe(RECONNECT_MS)
    expect(reconnectDelay(null, 60_000)).toBe(RECONNECT_MS)
  })
})

describe('console state', () => {
  const snapshot = {
    events: [
      { seq: 1, event: event('login', T - 2 * MINUTE) },
      { seq: 2, event: event('refresh', T - MINUTE) },
    ],
    chartStart: T - 2 * MINUTE,
    refreshesPerMinute: [0, 1, 0],
    totals: { login: 1, refresh: 1 },
  }

  it('Should open on the snapshot, newest event first', () => {
    const state = fromSnapshot(snapshot)
    expect(state.events.map((entry) => entry.seq)).toStrictEqual([2, 1])
    expect(state.refreshesPerMinute).toStrictEqual([0, 1, 0])
  })

  it('Should count live refreshes in their minute, moving the window when a minute passes', () => {
    let state = fromSnapshot(snapshot)
    state = addEvent(state, 3, event('refresh', T + 10_000))
    expect(state.refreshesPerMinute).toStrictEqual([0, 1, 1])
    state = addEvent(state, 4, event('refresh', T + MINUTE + 5_000))
    expect([state.chartStart, state.refreshesPerMinute]).toStrictEqual([T - MINUTE, [1, 1, 1]])
    expect(state.totals).toStrictEqual({ login: 1, refresh: 3 })
    state = advanceChart(state, T + 10 * MINUTE)
    expect([state.chartStart, state.refreshesPerMinute]).toStrictEqual([T + 8 * MINUTE, [0, 0, 0]])
  })

  it('Should ignore an event it has already seen and keep at most MAX_EVENTS', () => {
    let state = fromSnapshot(snapshot)
    expect(addEvent(state, 2, event('refresh', T))).toBe(state)
    for (let seq = 3; seq < MAX_EVENTS + 10; seq++) state = addEvent(state, seq, event('login', T))
    expect(state.events).toHaveLength(MAX_EVENTS)
    expect(state.events[0]?.seq).toBe(MAX_EVENTS + 9)
  })

  it('Should describe events with the user’s name and the anomaly’s action', () => {
    const names = (id: string) => (id === 'u-bob' ? 'Bob' : undefined)
    expect(describeEvent(event('login', T, { userId: 'u-bob' }), names)).toStrictEqual({
      tone: 'ok',
      text: 'Bob signed in',
    })
    expect(describeEvent(event('login_failed', T, { username: 'alice' }))).toStrictEqual({
      tone: 'warning',
      text: 'Wrong password for "alice"',
    })
    expect(
      describeEvent(event('anomaly_detected', T, { userId: 'u-x', action: 'revoke' }), names),
    ).toStrictEqual({ tone: 'danger', text: 'Anomaly for u-x: revoke' })
    expect(describeEvent(event('session_limit', T))).toStrictEqual({
      tone: 'info',
      text: 'session limit',
    })
  })
})
