/**
 * @module
 * The app's one session client, created at module level (outside render) and shared by every
 * component through `<SessionProvider>`, and the ky instance the demo calls its API with.
 */
import { createSessionClient } from '@baton/react'
import { createKy } from '@baton/react/ky'
import { eventLog } from './event-log'

const DEFAULT_REFRESH_MARGIN = 30_000

/**
 * The server writes its `BATON_REFRESH_MARGIN` into the page, so a demo with 10-second tokens
 * refreshes a moment before expiry instead of at half-life.
 */
function refreshMargin(): number {
  const content = document
    .querySelector('meta[name="baton-refresh-margin"]')
    ?.getAttribute('content')
    ?.trim()
  const ms = content ? Number(content) : NaN
  return Number.isFinite(ms) && ms >= 0 ? ms : DEFAULT_REFRESH_MARGIN
}

let refreshSent = false
const refreshSentListeners = new Set<() => void>()

/**
 * Whether this page's session refresh has left. While a session resumes, the pages show their
 * frame (without the user) only from then on: rendered earlier, that frame's render and first
 * paint came before the refresh's lock callback and held the refresh back by ~20 ms.
 */
export const refreshSentSignal = {
  subscribe: (listener: () => void): (() => void) => {
    refreshSentListeners.add(listener)
    return () => refreshSentListeners.delete(listener)
  },
  sent: (): boolean => refreshSent,
}

const urlOf = (input: RequestInfo | URL) => (input instanceof Request ? input.url : String(input))

/** The session client; its user type is the one registered in `user.ts`. */
export const baton = createSessionClient({
  baseUrl: '/auth',
  refreshMargin: refreshMargin(),
  onEvent: eventLog.record,
  fetch: (input, init) => {
    const response = fetch(input, init)
    if (!refreshSent && urlOf(input).endsWith('/auth/refresh')) {
      refreshSent = true
      for (const listener of refreshSentListeners) listener()
    }
    return response
  },
})

// Started here, not by <SessionProvider> after React's first commit: the lock, the device key's
// read and the refresh then run while the rest of the bundle evaluates and the first render
// happens, instead of after them (issue 18). start() is idempotent; the provider's call is a no-op.
void baton.start()

/**
 * The demo API (`/api/me`, `/api/notes`) through ky, on the client's `fetch`: bearer token,
 * waiting while any tab refreshes, one refresh and one retry after a 401.
 */
export const api = createKy(baton, {
  prefixUrl: '/api',
  // ky's own retries would hide what Baton does; the demo shows every request as it is.
  retry: 0,
})

// A hot update re-runs this module and creates a new client; the old one must let go of its
// timers, channel and in-flight refresh (orphaned locks after HMR hung other auth libraries).
import.meta.hot?.dispose(() => baton.destroy())
