import { useEffect, useReducer, useRef, useState } from 'react'
import { useBatonClient } from '@baton/react'
import { readEventStream, reconnectDelay, type StreamOutcome } from '../admin-events'
import {
  addEvent,
  advanceChart,
  emptyConsole,
  fromSnapshot,
  type AuditEvent,
  type ConsoleSnapshot,
  type ConsoleState,
} from '../console-state'

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

/** Where the admin event stream stands. */
export type Connection = 'connecting' | 'live' | 'reconnecting' | 'forbidden' | 'ended'

/**
 * Reads the admin event stream for as long as the page is open: a new connection whenever one
 * ends because its token expired or the network dropped, none once the server refused it (not an
 * administrator) or ended it because this session was revoked.
 */
export function useAdminStream(onEvent: (event: AuditEvent) => void) {
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
        const opened = Date.now()
        let outcome: StreamOutcome | null = null
        try {
          outcome = await readEventStream(
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
        } catch {
          if (controller.signal.aborted) return
        }
        setConnection('reconnecting')
        // An expired token reconnects at once, but not a stream that ended as soon as it opened.
        await sleep(reconnectDelay(outcome, Date.now() - opened))
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
