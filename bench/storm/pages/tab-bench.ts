/**
 * @module
 * The part of a storm page shared by both clients (runs in Chromium). It drives one tab: calls
 * the API on a fixed schedule and records, per call, whether it succeeded, whether it had to wait
 * for a refresh, and how much time that wait added. The runner reads the result through
 * `window.bench`.
 */

/** The header that ties the network round trips of one call together. */
export const CALL_HEADER = 'x-bench-call'

/** The simulated user's credentials. */
export const CREDENTIALS = { username: 'storm-user', password: 'storm-password' }

/** What one API call reported. */
export interface CallRecord {
  ok: boolean
  /** True when the call waited for a token refresh (queued behind one, or retried after a 401). */
  waited: boolean
  /** Time spent before the call's last network round trip started, plus failed round trips. */
  added: number
  /** Whole call, ms. */
  total: number
  error?: string
}

/** One tab's results. */
export interface TabStats {
  /** Calls started, and the number the schedule asked for. */
  calls: number
  scheduled: number
  ok: number
  failed: number
  forcedLogouts: number
  relogins: number
  /** Added latency (ms) of each call that waited for a refresh. */
  waitedAdded: number[]
  /** Whole-call latency (ms) of each successful call. */
  okTotals: number[]
  /** How late the latest tick fired, ms: shows whether the 200 ms cadence held. */
  maxLateMs: number
  /** The first few distinct failure messages. */
  errors: string[]
}

/** What the page of each client provides. */
export interface TabDriver {
  /** `login`: signs in (the first tab). `join`: gets a token as a freshly opened tab does. */
  boot(role: 'login' | 'join'): Promise<void>
  call(): Promise<CallRecord>
  /** Counters kept by the client's own logout handling. */
  counters(): { forcedLogouts: number; relogins: number }
}

/** The page API the runner calls through `page.evaluate`. */
export interface BenchApi {
  boot(role: 'login' | 'join'): Promise<void>
  /** Calls the API every `periodMs` from `startAt + phaseMs` (epoch ms) until `startAt + durationMs`. */
  start(startAt: number, durationMs: number, periodMs: number, phaseMs: number): void
  /** Resolves once the schedule is over and every call has settled. */
  result(): Promise<TabStats>
}

declare global {
  interface Window {
    bench: BenchApi
  }
}

/** One network round trip, `performance.now()` ms. */
interface RoundTrip {
  start: number
  end: number
}

/**
 * A `fetch` that records the round trips of each call (by its {@link CALL_HEADER}), so the time a
 * call spent waiting for a token can be told apart from its own round trip.
 */
export function createRoundTrips() {
  const trips = new Map<string, RoundTrip[]>()
  const timedFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init)
    const id = request.headers.get(CALL_HEADER)
    const start = performance.now()
    try {
      return await fetch(request)
    } finally {
      if (id !== null) {
        const list = trips.get(id) ?? []
        list.push({ start, end: performance.now() })
        trips.set(id, list)
      }
    }
  }
  return {
    fetch: timedFetch,
    /** The round trips of call `id`, forgotten afterwards. */
    take(id: string): RoundTrip[] {
      const list = trips.get(id) ?? []
      trips.delete(id)
      return list
    },
  }
}

/** Measures one call: `send` performs it, `waited` says whether it waited for a refresh. */
export async function timeCall(
  trips: ReturnType<typeof createRoundTrips>,
  id: string,
  send: () => Promise<boolean>,
  waited: (start: number, lastTripStart: number, trips: number) => boolean,
): Promise<CallRecord> {
  const start = performance.now()
  let ok = false
  let error: string | undefined
  try {
    ok = await send()
  } catch (cause) {
    error = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
  }
  const end = performance.now()
  const list = trips.take(id)
  const last = list.at(-1)
  const total = end - start
  return {
    ok,
    waited: waited(start, last?.start ?? end, list.length),
    added: last ? total - (last.end - last.start) : total,
    total,
    ...(error === undefined ? {} : { error }),
  }
}

/** Installs `window.bench` for this tab. */
export function installBench(driver: TabDriver): void {
  const stats: TabStats = {
    calls: 0,
    scheduled: 0,
    ok: 0,
    failed: 0,
    forcedLogouts: 0,
    relogins: 0,
    waitedAdded: [],
    okTotals: [],
    maxLateMs: 0,
    errors: [],
  }
  let finished: Promise<TabStats> = Promise.reject(new Error('start() was not called'))
  finished.catch(() => {})

  const record = (call: CallRecord) => {
    if (call.ok) {
      stats.ok++
      stats.okTotals.push(call.total)
    } else {
      stats.failed++
      if (call.error && stats.errors.length < 5 && !stats.errors.includes(call.error)) {
        stats.errors.push(call.error)
      }
    }
    if (call.waited) stats.waitedAdded.push(call.added)
  }

  window.bench = {
    boot: (role) => driver.boot(role),
    start(startAt, durationMs, periodMs, phaseMs) {
      const first = startAt + phaseMs
      const end = startAt + durationMs
      stats.scheduled = Math.ceil((end - first) / periodMs)
      const pending = new Set<Promise<void>>()
      finished = new Promise((resolve) => {
        let tick = 0
        const fire = () => {
          const due = first + tick * periodMs
          if (due >= end) {
            void Promise.all(pending).then(() => resolve({ ...stats, ...driver.counters() }))
            return
          }
          stats.maxLateMs = Math.max(stats.maxLateMs, Date.now() - due)
          tick++
          stats.calls++
          // Fire and forget: a slow call must not delay the next tick, as with a real polling UI.
          const call = driver.call().then(record)
          pending.add(call)
          void call.finally(() => pending.delete(call))
          // Each tick is scheduled from the start time, so lateness does not accumulate.
          setTimeout(fire, Math.max(0, first + tick * periodMs - Date.now()))
        }
        setTimeout(fire, Math.max(0, first - Date.now()))
      })
    },
    result: () => finished,
  }
}
