/**
 * @module
 * A storm tab using the naive interceptor, the common pattern Baton replaces: the tab keeps its
 * own access token, checks its expiry before each call, and calls `/auth/refresh` itself when the
 * token has expired or the API answers 401. Concurrent calls in one tab share one refresh (a
 * single-flight promise); nothing is shared between tabs, which all send the one refresh cookie
 * of the browser. A refresh answered 401 (token reused, session revoked) signs the tab out.
 */
import { CALL_HEADER, CREDENTIALS, createRoundTrips, installBench, timeCall } from './tab-bench.js'

const trips = createRoundTrips()
let token: string | null = null
let expiresAt = 0
let refreshing: Promise<void> | null = null
let loggingIn: Promise<void> | null = null
let forcedLogouts = 0
let relogins = 0
let calls = 0

async function adopt(response: Response): Promise<void> {
  const body = (await response.json()) as { accessToken: string; expiresIn: number }
  token = body.accessToken
  expiresAt = Date.now() + body.expiresIn * 1000
}

async function login(): Promise<void> {
  const response = await fetch('/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf': '1' },
    body: JSON.stringify(CREDENTIALS),
  })
  if (!response.ok) throw new Error(`login answered ${response.status}`)
  await adopt(response)
}

function signedOut(): void {
  token = null
  forcedLogouts++
  // The user signs in again at once, so the storm goes on and later logouts count too.
  loggingIn ??= login()
    .then(() => void relogins++)
    .catch(() => {})
    .finally(() => (loggingIn = null))
}

/** One refresh per tab at a time; other tabs are not consulted. */
const refresh = () =>
  (refreshing ??= (async () => {
    const response = await fetch('/auth/refresh', { method: 'POST', headers: { 'x-csrf': '1' } })
    if (response.status === 401) {
      signedOut()
      throw new Error('signed out: refresh answered 401')
    }
    if (!response.ok) throw new Error(`refresh answered ${response.status}`)
    await adopt(response)
  })().finally(() => (refreshing = null)))

installBench({
  async boot(role) {
    // A tab that opens with the cookie but no token does a "silent refresh" first.
    if (role === 'login') await login()
    else await refresh()
  },
  call() {
    const id = String(++calls)
    let waited = false
    const get = () =>
      trips.fetch('/api/me', { headers: { authorization: `Bearer ${token}`, [CALL_HEADER]: id } })
    return timeCall(
      trips,
      id,
      async () => {
        // Signed out: the app shows its login form and this call cannot be made.
        if (token === null) throw new Error('signed out')
        if (Date.now() >= expiresAt) {
          waited = true
          await refresh()
        }
        let response = await get()
        if (response.status === 401) {
          waited = true
          await refresh()
          response = await get()
        }
        await response.arrayBuffer()
        if (!response.ok) throw new Error(`API answered ${response.status}`)
        return true
      },
      () => waited,
    )
  },
  counters: () => ({ forcedLogouts, relogins }),
})
