/**
 * Scenario 7 of issue #5: the BFF cannot be reached for 5 s while the tabs keep calling the API
 * and their token expires. Nobody is signed out; calls succeed once it is back, or fail as
 * network errors, never as a logout.
 */
import type { Request } from '@playwright/test'
import { expect, press, test } from '../fixtures.js'
import {
  callResults,
  pageRecord,
  startCallingApi,
  statusesSinceSignIn,
  stopCallingApi,
} from '../page-probes.js'

const OUTAGE_MS = 5_000
const OFFLINE_BANNER =
  'The server cannot be reached. You are still signed in; Baton keeps retrying.'

test('5 s without the BFF: tabs stay signed in, calls succeed after recovery or fail as network errors', async ({
  context,
  signedInTabs,
  demo,
  traffic,
}) => {
  const all = await signedInTabs(3)
  const [first] = all
  for (const tab of all) {
    // Tab A's log starts with its sign-out before anyone signed in; from here it must stay empty.
    await press(tab, 'Clear log')
  }
  await Promise.all(all.map((tab) => startCallingApi(tab, 200)))

  // Longer than the 3 s token, so a scheduled refresh and the expiry both fall inside it. The
  // handler decides per request whether the outage is on, so a request at the very end is either
  // refused here or reaches the BFF after `outageEnd`, never both or neither.
  let outage = true
  const refused: Request[] = []
  await context.route('**/auth/refresh', async (route) => {
    if (!outage) return route.fallback()
    refused.push(route.request())
    await route.abort('connectionfailed')
  })
  const outageStart = Date.now()
  await first.waitForTimeout(OUTAGE_MS)
  const outageEnd = Date.now()
  outage = false

  // Nothing got through, and the tabs did try: every refresh they sent failed in the browser.
  expect(demo.refreshRequests().filter(({ at }) => at >= outageStart && at < outageEnd)).toEqual([])
  expect(refused.length).toBeGreaterThan(0)
  await expect
    .poll(() => refused.map((request) => request.failure()?.errorText))
    .toEqual(refused.map(() => 'net::ERR_CONNECTION_FAILED'))
  // And the pages saw no other refresh fail, in the whole test.
  await expect
    .poll(() => traffic.refreshes().filter(({ failure }) => failure !== null).length)
    .toBe(refused.length)

  // Recovery on the client's own retry schedule (backoff from 1 s, doubling, jittered).
  await expect
    .poll(() => demo.refreshRequests().filter(({ at }) => at >= outageEnd).length, {
      timeout: 20_000,
    })
    .toBeGreaterThan(0)
  const recoveredAt = demo.refreshRequests().find(({ at }) => at >= outageEnd)!.at
  for (const tab of all) {
    await expect(tab.getByRole('alert').filter({ hasText: OFFLINE_BANNER })).toHaveCount(0)
    // Each tab gets a call through after recovery before the loops stop.
    await expect
      .poll(async () =>
        (await callResults(tab)).some(
          ({ at, summary }) => at > recoveredAt && summary === '1 of 1 succeeded',
        ),
      )
      .toBe(true)
  }
  const results = await Promise.all(all.map((tab) => stopCallingApi(tab)))

  const presses = results.flat()
  const succeeded = presses.filter(({ summary }) => summary === '1 of 1 succeeded')
  const networkErrors = presses.filter(
    ({ summary, detail }) =>
      summary === '0 of 1 succeeded' && detail?.startsWith('RefreshNetworkError:'),
  )
  // Every call either succeeded or failed as a network error; none failed any other way, none
  // found the dashboard gone.
  expect(
    presses.filter((press) => !succeeded.includes(press) && !networkErrors.includes(press)),
  ).toEqual([])
  test.info().annotations.push({
    type: 'measured',
    description: `${refused.length} refresh attempts during the outage; recovery ${recoveredAt - outageEnd} ms after it; ${succeeded.length} calls succeeded, ${networkErrors.length} network errors`,
  })

  for (const tab of all) {
    // Signed in from the sign-in to the end: not one frame of "Signed out".
    expect(await statusesSinceSignIn(tab)).toEqual(['Signed in as Alice'])
    // Each tab told its user, once, that the server was unreachable and they are still signed
    // in: its first failed refresh raised the banner, which stayed until the next success.
    const { alerts } = await pageRecord(tab)
    expect(alerts.map(({ text }) => text)).toEqual([OFFLINE_BANNER])
    await expect(
      tab.getByRole('table', { name: 'Session events' }).locator('tr[data-event="signed_out"]'),
    ).toHaveCount(0)
  }
  for (const type of ['logout', 'revoked', 'reuse_detected', 'expired'] as const) {
    expect(demo.eventsOf(type), type).toEqual([])
  }
})
