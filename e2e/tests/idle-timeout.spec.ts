/**
 * Issue 12, M5: keep-alive is not activity. With a 6 s idle timeout, a device whose user does
 * nothing is signed out with `session_expired` soon after it, although its tab keeps its token
 * fresh; a device whose user calls the API every second stays signed in, because its refreshes say
 * so (`x-baton-activity: 1`) and only those move the idle deadline.
 */
import type { BrowserContext, Request } from '@playwright/test'
import { expect, openTab, sessionStatus, signIn, test } from '../fixtures.js'
import {
  startCallingApi,
  statusShownAt,
  statusesSinceSignIn,
  stopCallingApi,
} from '../page-probes.js'

const IDLE_TIMEOUT_MS = 6_000

test.use({ demoEnv: { BATON_IDLE_TIMEOUT: '6s' } })

/** Every refresh `context` sends, with whether it says the user was active. */
function refreshesOf(context: BrowserContext): Array<{ at: number; activity: boolean }> {
  const seen: Array<{ at: number; activity: boolean }> = []
  context.on('request', (request: Request) => {
    if (new URL(request.url()).pathname !== '/auth/refresh') return
    seen.push({ at: Date.now(), activity: request.headers()['x-baton-activity'] === '1' })
  })
  return seen
}

test('an idle device is signed out after the idle timeout while a busy one stays signed in', async ({
  context,
  newDevice,
  demo,
}) => {
  const idleRefreshes = refreshesOf(context)
  const idle = await openTab(context, demo.url)
  const busyContext = await newDevice()
  const busyRefreshes = refreshesOf(busyContext)
  const busy = await openTab(busyContext, demo.url)

  await signIn(idle)
  const idleSignedInAt = Date.now()
  await signIn(busy)
  await startCallingApi(busy, 1_000)

  // Ended at the BFF's idle deadline: the sign-in (plus the dashboard's first request, reported
  // by the next refresh), a 6 s timeout, and the one refresh that confirms it a second after.
  await expect(sessionStatus(idle)).toHaveText('Signed out', { timeout: 3 * IDLE_TIMEOUT_MS })
  await expect(idle.getByText('Your session has expired. Please sign in again.')).toBeVisible()
  const signedOutAfter = (await statusShownAt(idle, 'Signed out')) - idleSignedInAt
  expect(signedOutAfter).toBeGreaterThanOrEqual(IDLE_TIMEOUT_MS)
  expect(signedOutAfter).toBeLessThan(IDLE_TIMEOUT_MS + 3_000 + 2_000)
  expect(demo.eventsOf('expired')).toEqual([expect.objectContaining({ reason: 'idle' })])
  // Its keep-alive refreshes said nothing of activity, after the first (the dashboard's request).
  expect(idleRefreshes.slice(1).map(({ activity }) => activity)).not.toContain(true)

  // The busy device goes on well past three idle timeouts.
  await busy.waitForTimeout(2 * IDLE_TIMEOUT_MS)
  await expect(sessionStatus(busy)).toHaveText('Signed in as Alice')
  await stopCallingApi(busy)
  expect(await statusesSinceSignIn(busy)).toEqual(['Signed in as Alice'])
  expect(busyRefreshes.length).toBeGreaterThanOrEqual(5)
  expect(busyRefreshes.filter(({ activity }) => activity).length).toBeGreaterThanOrEqual(4)
  expect(demo.eventsOf('expired')).toHaveLength(1)
})
