/**
 * @module
 * The boot page (runs in Chromium): creates Baton's client and starts it as the first thing the
 * script does, and records when the status leaves `loading`. The bundle's first statement (an
 * esbuild banner, `boot.ts`) stamps `globalThis.__bootT0`: the client script's start, before the
 * client's own module code is evaluated. `?login` signs in instead (the tabs the new tab opens
 * beside). The runner reads `window.bootResult`.
 *
 * Each `POST /auth/refresh` is timed twice: on the network (resource timing, request start to
 * response end) and as a script sees it (`fetch()` called to the response body read, which is
 * when any script could first hold the token).
 */
import { createSessionClient, type SessionStatus } from '@baton/client'
import { BOOT_DONE, FLOOR_DONE } from './boot-done.js'

/** One refresh round trip, ms. */
export interface RoundTrip {
  /** Request start to response end, as the browser's resource timing reports it. */
  network: number
  /** `fetch()` called to the response body read, in the page. */
  script: number
}

/** What one page load measured. */
export interface BootResult {
  /** `authenticated` or `unauthenticated`. */
  status: SessionStatus
  /** Script start to that status, ms. */
  bootMs: number
  /** Where the token came from: this tab's refresh, another tab, or a sign-in. */
  source: 'local' | 'peer' | null
  /** The refreshes this page sent during its boot. */
  refreshes: RoundTrip[]
  /** Requests this page sent to the BFF or the API (by the time `complete` is set). */
  requests: number
  /** Script start to this page's first request to the BFF going out, ms; `null` for none. */
  firstRequestMs: number | null
  /**
   * Script start to the cross-tab refresh lock being granted (the callback of the page's first
   * `navigator.locks.request` for it), ms; `null` when the boot took none.
   */
  lockGrantedMs: number | null
  /** Set once the fields read from resource timing are filled in. */
  complete: boolean
}

declare global {
  interface Window {
    __bootT0: number
    bootResult?: BootResult
    signIn?: () => Promise<void>
    measureRefresh?: () => Promise<RoundTrip>
  }
}

// What the refresh waits for before it goes out: the refresh lock's grant, stamped here. Hooked
// on the prototype: reading `navigator.locks` here would make the page's lock manager (~1 ms at
// page load) before the client's own first lock, which an anonymous visitor never takes.
let lockGrantedMs: number | null = null
const request = Reflect.get(LockManager.prototype, 'request') as (
  this: LockManager,
  ...args: unknown[]
) => Promise<unknown>
Object.defineProperty(LockManager.prototype, 'request', {
  configurable: true,
  value: function (this: LockManager, name: string, ...rest: unknown[]) {
    const fn = rest.pop() as (lock: Lock | null) => unknown
    if (!name.endsWith(':refresh')) return request.call(this, name, ...rest, fn)
    return request.call(this, name, ...rest, (lock: Lock | null) => {
      lockGrantedMs ??= performance.now() - window.__bootT0
      return fn(lock)
    })
  },
})

const isRefresh = (url: string) => new URL(url, location.href).pathname === '/auth/refresh'
/** Script-side round trips of this page's refreshes, in order. */
const scriptTrips: number[] = []

let source: BootResult['source'] = null
const client = createSessionClient({
  baseUrl: '/auth',
  logger: { debug() {} },
  // Reads the body here (as the client would next) to time the round trip as a script sees it,
  // and hands the client an identical response.
  fetch: async (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    if (!isRefresh(url)) return fetch(input, init)
    const start = performance.now()
    const response = await fetch(input, init)
    const body = await response.arrayBuffer()
    scriptTrips.push(performance.now() - start)
    const { status, statusText, headers } = response
    return new Response(body, { status, statusText, headers })
  },
  onEvent: (event) => {
    if (event.type === 'signed_in') source = event.source
  },
})

const ours = () =>
  performance
    .getEntriesByType('resource')
    .filter((entry) => /\/(auth|api)\//.test(new URL(entry.name).pathname))

/** Network round trips of this page's refreshes, paired in order with the script's. */
const roundTrips = (from = 0): RoundTrip[] =>
  ours()
    .filter((entry) => isRefresh(entry.name))
    .map((entry, i) => ({
      network: (entry as PerformanceResourceTiming).responseEnd - entry.startTime,
      script: scriptTrips[from + i]!,
    }))

const report = (status: SessionStatus) => {
  window.bootResult = {
    status,
    bootMs: performance.now() - window.__bootT0,
    source: null,
    refreshes: [],
    requests: 0,
    firstRequestMs: null,
    lockGrantedMs,
    complete: false,
  }
  // Resource timing entries land after the response's end, and `signed_in` is emitted after the
  // store changed: read them a moment later.
  setTimeout(() => {
    const entries = ours()
    const result = window.bootResult!
    result.source = source
    result.requests = entries.length
    result.firstRequestMs = entries.length > 0 ? entries[0]!.startTime - window.__bootT0 : null
    result.refreshes = roundTrips()
    result.complete = true
    console.log(BOOT_DONE)
    // A run no automation is attached to (`unattached.ts`): nobody reads the page, so it posts.
    if (location.search.endsWith('unattached')) {
      void fetch('/boot/report', { method: 'POST', body: JSON.stringify(result) }).finally(() =>
        window.close(),
      )
    }
  }, 50)
}

if (location.search === '?login') {
  window.signIn = async () => {
    await client.start()
    await client.login({ username: 'boot-user', password: 'boot-password' })
  }
  // One refresh of this signed-in tab, for the round trip next to the boots measured beside it.
  window.measureRefresh = async () => {
    performance.clearResourceTimings()
    const from = scriptTrips.length
    client.invalidateAccessToken()
    await client.getAccessToken()
    await new Promise((resolve) => setTimeout(resolve, 50))
    const [trip] = roundTrips(from)
    if (!trip) throw new Error('no refresh was sent')
    return trip
  }
} else if (location.search === '?sign-in-unattached') {
  // The sign-in of a run no automation is attached to: signs in, reports, closes (every tab
  // closed, the cookies and the device key kept: the loads after it are lone tabs).
  void client
    .start()
    .then(() => client.login({ username: 'boot-user', password: 'boot-password' }))
    .then(() => report(client.store.getState().status))
} else if (location.search === '?idle') {
  // A floor probe (`floor.ts`): this page as a lone tab loads it, client created, but not
  // started: its first Web Locks grant, asked for where `start()` would ask for the refresh lock.
  void navigator.locks.request('floor:idle', () => {
    ;(window as unknown as { floorMs: number }).floorMs = performance.now() - window.__bootT0
    console.log(FLOOR_DONE)
  })
} else {
  const unsubscribe = client.store.subscribe((state) => {
    if (state.status === 'loading') return
    unsubscribe()
    report(state.status)
  })
  void client.start()
}
