/**
 * Scenario 10 of issue #5: reloading a tab keeps the session, from the cookie or from a signed-in
 * tab, and the login page never shows in between, not even for a frame.
 */
import type { Page } from '@playwright/test'
import { expect, sessionStatus, signIn, test } from '../fixtures.js'
import { pageRecord, statusesAfterSplash } from '../page-probes.js'
import { outcomes } from '../traffic.js'

// The claim is how a reloaded tab gets its token, not expiry: with 3 s tokens a scheduled refresh
// could fall inside the measured window and make the exact counts depend on the machine's speed.
test.use({ demoEnv: { BATON_ACCESS_TTL: '60s' } })

/**
 * Reloads `page` and checks that it went straight to signed in: from "Checking your session…",
 * or from nothing when a peer handed its token over before the first render.
 */
async function reloadSignedIn(page: Page): Promise<void> {
  await page.reload()
  await expect(sessionStatus(page)).toHaveText('Signed in as Alice')
  const record = await pageRecord(page)
  // The recorder is reinstalled with the new document: it saw every frame since.
  expect(record.loginFormAt).toBeNull()
  expect(await statusesAfterSplash(page)).toEqual(['Signed in as Alice'])
  await expect(page).toHaveURL(/\/$/)
}

test('a reloaded tab alone is signed in again by one refresh with its cookie, with no login page', async ({
  tabs,
  demo,
  traffic,
}) => {
  const [tab] = await tabs(1)
  await signIn(tab)
  const reloadAt = Date.now()

  await reloadSignedIn(tab)
  await expect
    .poll(() => outcomes(traffic.refreshes({ page: tab, since: reloadAt })))
    .toEqual([200])
  // In the whole test: only the one after the reload. At the first visit the browser held no
  // session-hint cookie, so the anonymous tab asked nobody.
  expect(demo.refreshRequests().map(({ status }) => status)).toEqual([200])
  expect(demo.eventsOf('login')).toHaveLength(1)
})

test('a reloaded tab with a signed-in peer takes its token, with no refresh and no login page', async ({
  signedInTabs,
  demo,
  traffic,
}) => {
  const [, b] = await signedInTabs(2)
  const reloadAt = Date.now()

  await reloadSignedIn(b)
  expect(traffic.refreshes({ page: b, since: reloadAt })).toEqual([])
  // In the whole test, only tab A's refresh at first visit, before anyone signed in.
  expect(demo.refreshRequests().map(({ status }) => status)).toEqual([])
  await expect(
    b.getByRole('table', { name: 'Session events' }).locator('tr[data-event="refresh_start"]'),
  ).toHaveCount(0)
})
