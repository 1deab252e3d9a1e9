/**
 * @module
 * A storm tab using Baton's client: `refreshMargin: 500` (a 3 s token is refreshed 0.5 s before
 * it expires, once for all tabs), API calls through ky on the client (`@baton/client/ky`).
 */
import { createSessionClient, type ClientEvent } from '@baton/client'
import { createKy } from '@baton/client/ky'
import { CALL_HEADER, CREDENTIALS, createRoundTrips, installBench, timeCall } from './tab-bench.js'

const trips = createRoundTrips()
/** When this tab's requests were queued behind a refresh (here or in another tab). */
const queuedAt: number[] = []
let forcedLogouts = 0
let relogins = 0
let loggingIn: Promise<void> | null = null
let calls = 0

const onEvent = (event: ClientEvent) => {
  if (event.type === 'queued') queuedAt.push(performance.now())
  if (event.type === 'signed_out' && event.reason !== 'logged_out') {
    forcedLogouts++
    // The user signs in again at once, so the storm goes on and later logouts count too.
    loggingIn ??= client
      .login(CREDENTIALS)
      .then(() => void relogins++)
      .catch(() => {})
      .finally(() => (loggingIn = null))
  }
}

const client = createSessionClient({
  baseUrl: '/auth',
  refreshMargin: 500,
  // Only requests with the call header (the API calls below) are timed; auth calls have none.
  fetch: trips.fetch,
  logger: { debug() {} },
  onEvent,
})
const api = createKy(client, { prefixUrl: '/api', retry: 0 })

installBench({
  async boot(role) {
    if (role === 'login') await client.login(CREDENTIALS)
    else await client.start()
    if (client.store.getState().status !== 'authenticated') {
      throw new Error(`tab is ${client.store.getState().status} after boot`)
    }
  },
  call() {
    const id = String(++calls)
    return timeCall(
      trips,
      id,
      async () => {
        await api.get('me', { headers: { [CALL_HEADER]: id } }).json()
        return true
      },
      // Queued behind a refresh before its last round trip went out, or retried after a 401.
      (start, lastTripStart, count) =>
        count > 1 || queuedAt.some((at) => at >= start && at <= lastTripStart),
    )
  },
  counters: () => ({ forcedLogouts, relogins }),
})
