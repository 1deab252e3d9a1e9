/**
 * @module
 * This tab's session log: what the client reports through `onEvent`, in plain words, newest
 * first, capped so a tab left open for days stays small. A tiny external store, read by React
 * through `useSyncExternalStore`.
 */
import { useSyncExternalStore } from 'react'
import type { ClientEvent } from '@baton/react'
import { clockTime } from './format'

/** Who did it: this tab, or another tab of the same browser (through the BroadcastChannel). */
export type EventOrigin = 'this-tab' | 'other-tab'

export interface LogEntry {
  id: number
  /** Epoch ms. */
  at: number
  origin: EventOrigin
  /** The client event's `type`, or a demo action such as `expired_by_hand`. */
  type: string
  message: string
}

const TRIGGERS: Record<string, string> = {
  start: 'tab opened',
  scheduled: 'before expiry',
  expired: 'token expired',
  unauthorized: 'API answered 401',
  wake: 'tab woke up',
  retry: 'retry',
}

const END_REASONS: Record<string, string> = {
  no_session: 'no session',
  logged_out: 'signed out',
  session_expired: 'session expired',
  session_revoked: 'session revoked',
  refresh_token_reused: 'refresh token reuse detected',
}

/** The words for one client event, and which tab it came from. */
export function describeEvent(event: ClientEvent): { origin: EventOrigin; message: string } {
  switch (event.type) {
    case 'refresh_start':
      return event.source === 'local'
        ? {
            origin: 'this-tab',
            message: `Refresh started (${TRIGGERS[event.trigger ?? ''] ?? event.trigger ?? 'unknown'})`,
          }
        : { origin: 'other-tab', message: 'Refresh started by another tab' }
    case 'refresh_end': {
      // A first visit without a cookie is not a failure worth alarming anyone about.
      if (!event.ok && event.error === 'no_session') {
        return event.source === 'local'
          ? { origin: 'this-tab', message: 'Refresh found no session; sign-in needed' }
          : { origin: 'other-tab', message: 'Another tab found no session' }
      }
      const outcome = event.ok
        ? 'finished'
        : `failed: ${END_REASONS[event.error ?? ''] ?? event.error ?? 'unknown'}`
      return event.source === 'local'
        ? { origin: 'this-tab', message: `Refresh ${outcome}` }
        : { origin: 'other-tab', message: `Refresh ${outcome} in another tab` }
    }
    case 'token_from_peer':
      return {
        origin: 'other-tab',
        message: `New access token received, valid until ${clockTime(event.expiresAt)}`,
      }
    case 'signed_in':
      return event.source === 'local'
        ? { origin: 'this-tab', message: 'Signed in' }
        : { origin: 'other-tab', message: 'Signed in from another tab' }
    case 'signed_out': {
      const reason = END_REASONS[event.reason] ?? event.reason
      return event.source === 'local'
        ? { origin: 'this-tab', message: `Signed out (${reason})` }
        : { origin: 'other-tab', message: `Logout received from another tab (${reason})` }
    }
    case 'queued':
      return {
        origin: 'this-tab',
        message: `Requests queued while the token refreshes (${event.waiting} waiting)`,
      }
    case 'released':
      return {
        origin: 'this-tab',
        message: `${event.count} queued ${event.count === 1 ? 'request' : 'requests'} released with the new token`,
      }
    case 'retry_scheduled':
      return {
        origin: 'this-tab',
        message: `Server unreachable; retrying in ${(event.delay / 1000).toFixed(1)} s`,
      }
    case 'step_up_required':
      return {
        origin: 'this-tab',
        message:
          event.maxAge === undefined
            ? 'The API asked for a new sign-in; the request waits'
            : `The API asked for a sign-in from the last ${event.maxAge} s; the request waits`,
      }
    case 'step_up_end':
      if (!event.ok) return { origin: 'this-tab', message: 'Step-up given up; the request failed' }
      return event.source === 'local'
        ? { origin: 'this-tab', message: 'Password confirmed; the request was retried' }
        : { origin: 'other-tab', message: 'Password confirmed in another tab; request retried' }
  }
}

/**
 * The log's store. Its functions are closures, not methods, so they can be handed around unbound
 * (`onEvent: eventLog.record`, `useSyncExternalStore(eventLog.subscribe, …)`).
 */
export interface EventLog {
  /** The client's `onEvent`. */
  readonly record: (event: ClientEvent) => void
  /** Adds an entry for something the demo did itself. */
  readonly note: (type: string, message: string, origin?: EventOrigin) => void
  readonly clear: () => void
  readonly subscribe: (listener: () => void) => () => void
  /** Entries, newest first; a new array after every change. */
  readonly getSnapshot: () => readonly LogEntry[]
}

/**
 * Creates an event log that keeps the newest `limit` entries.
 *
 * @example
 * ```ts
 * const log = createEventLog()
 * const baton = createSessionClient({ onEvent: log.record })
 * ```
 */
export function createEventLog(limit = 200): EventLog {
  let entries: readonly LogEntry[] = []
  let nextId = 1
  const listeners = new Set<() => void>()
  const emit = () => {
    for (const listener of listeners) listener()
  }
  const add = (entry: Omit<LogEntry, 'id' | 'at'>) => {
    const [latest] = entries
    // A burst of requests queues one by one; one line with the final count reads better.
    if (entry.type === 'queued' && latest?.type === 'queued') {
      entries = [{ ...latest, message: entry.message, at: Date.now() }, ...entries.slice(1)]
    } else {
      entries = [{ ...entry, id: nextId++, at: Date.now() }, ...entries].slice(0, limit)
    }
    emit()
  }
  return {
    record: (event) => add({ type: event.type, ...describeEvent(event) }),
    note: (type, message, origin = 'this-tab') => add({ type, message, origin }),
    clear: () => {
      entries = []
      emit()
    },
    subscribe: (listener) => {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    getSnapshot: () => entries,
  }
}

/** This tab's log (the client in `baton.ts` writes to it from the start). */
export const eventLog = createEventLog()

/** The entries of {@link eventLog}, newest first; re-renders on every new entry. */
export function useEventLog(): readonly LogEntry[] {
  return useSyncExternalStore(eventLog.subscribe, eventLog.getSnapshot, eventLog.getSnapshot)
}
