/**
 * @module
 * `createEventHub()`: the demo's audit events, fanned out to the security console. It keeps the
 * last events and a per-minute count of refreshes, so a console that connects late still opens
 * on a picture, not on an empty page.
 */
import type { BffEvent } from '@baton/bff'

/** How many recent events a new subscriber receives first. */
export const RECENT_EVENTS = 100

/** How many minutes the refresh chart covers. */
export const CHART_MINUTES = 30

const MINUTE = 60_000

/** What a console receives when it connects. */
export interface HubSnapshot {
  /** The last {@link RECENT_EVENTS} events, oldest first, each with its sequence number. */
  events: SequencedEvent[]
  /** Start (epoch ms, a whole minute) of the first bucket of `refreshesPerMinute`. */
  chartStart: number
  /** Refreshes in each of the last {@link CHART_MINUTES} minutes, the current one last. */
  refreshesPerMinute: number[]
  /** How many events of each type since the server started. */
  totals: Record<string, number>
}

/** An event with its position in the stream (the SSE `id`). */
export interface SequencedEvent {
  seq: number
  event: BffEvent
}

/** Receives each event as it is published. */
export type HubListener = (entry: SequencedEvent) => void

/** The fan-out behind the console's event stream. */
export interface EventHub {
  /** Records an event and hands it to every subscriber; a throwing subscriber is dropped. */
  publish(event: BffEvent): void
  /** Adds a listener; the returned function removes it (calling it twice is harmless). */
  subscribe(listener: HubListener): () => void
  /** The state a console opens on. */
  snapshot(): HubSnapshot
  /** How many listeners are subscribed (the tests check that disconnects let go). */
  readonly subscriberCount: number
}

/**
 * Creates an empty hub. `now` dates the refresh buckets; the events carry their own `at`.
 *
 * @example
 * ```ts
 * const hub = createEventHub()
 * createBff({ authenticate, onEvent: hub.publish })
 * const stop = hub.subscribe(({ event }) => console.log(event.type))
 * ```
 */
export function createEventHub(now: () => number = Date.now): EventHub {
  const listeners = new Set<HubListener>()
  const recent: SequencedEvent[] = []
  const totals: Record<string, number> = {}
  // Refresh counts by minute number (epoch ms / 60 000); only the chart's window is kept.
  const buckets = new Map<number, number>()
  let seq = 0

  const minute = (at: number) => Math.floor(at / MINUTE)

  return {
    publish(event) {
      const entry = { seq: ++seq, event }
      recent.push(entry)
      if (recent.length > RECENT_EVENTS) recent.shift()
      totals[event.type] = (totals[event.type] ?? 0) + 1
      if (event.type === 'refresh') {
        const current = minute(event.at)
        buckets.set(current, (buckets.get(current) ?? 0) + 1)
        for (const key of buckets.keys()) if (key <= current - CHART_MINUTES) buckets.delete(key)
      }
      for (const listener of listeners) {
        try {
          listener(entry)
        } catch {
          // One broken console must not stop the others, nor the BFF's onEvent.
          listeners.delete(listener)
        }
      }
    },

    subscribe(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },

    snapshot() {
      const last = minute(now())
      const first = last - CHART_MINUTES + 1
      return {
        events: [...recent],
        chartStart: first * MINUTE,
        refreshesPerMinute: Array.from(
          { length: CHART_MINUTES },
          (_, i) => buckets.get(first + i) ?? 0,
        ),
        totals: { ...totals },
      }
    },

    get subscriberCount() {
      return listeners.size
    },
  }
}
