/**
 * @module
 * The app's one session client, created at module level (outside render) and shared by every
 * component through `<SessionProvider>`.
 */
import { createSessionClient } from '@baton/react'
import { eventLog } from './event-log'
import type { User } from './user'

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

export const baton = createSessionClient<User>({
  baseUrl: '/auth',
  // ky's own retries would hide what Baton does; the demo shows every request as it is.
  api: { prefixUrl: '/api', retry: 0 },
  refreshMargin: refreshMargin(),
  onEvent: eventLog.record,
})

// A hot update re-runs this module and creates a new client; the old one must let go of its
// timers, channel and in-flight refresh (orphaned locks after HMR hung other auth libraries).
import.meta.hot?.dispose(() => baton.destroy())
