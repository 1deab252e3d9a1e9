/**
 * Issue 18, the demo: while a signed-in tab's session resumes (its refresh in flight), the page is
 * already on screen, inert and without the user's data, so the grant only fills the user in. A
 * session that turns out to be gone never shows a user and lands on the login page.
 */
import type { Page } from '@playwright/test'
import { expect, openTab, press, sessionStatus, test } from '../fixtures.js'
import { pageRecord, statusesAfterSplash } from '../page-probes.js'

test.use({ demoEnv: { BATON_ACCESS_TTL: '60s' } })

/** Holds every refresh of `page`'s context until the returned function is called. */
async function holdRefreshes(page: Page): Promise<() => void> {
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  await page.context().route('**/auth/refresh', async (route) => {
    await released
    await route.continue()
  })
  return release
}

test('a reloaded tab shows its page while the session resumes, inert and without the user, and the grant fills the user in', async ({
  signedInTabs,
}) => {
  const [tab] = await signedInTabs(1)
  const release = await holdRefreshes(tab)

  await tab.reload()
  await expect(tab.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible()
  await expect(sessionStatus(tab)).toHaveText('Checking your session…')
  await expect(tab.locator('main')).toHaveJSProperty('inert', true)
  await expect(tab.locator('main')).toHaveAttribute('aria-busy', 'true')
  // Nothing of the user before the grant: not their name; the header offers no sign-out yet, and
  // the page's own buttons sit in the inert main.
  await expect(tab.getByText('Alice')).toHaveCount(0)
  await expect(tab.getByRole('banner').getByRole('button', { name: 'Sign out' })).toHaveCount(0)

  release()
  await expect(sessionStatus(tab)).toHaveText('Signed in as Alice')
  await expect(tab.locator('main')).toHaveJSProperty('inert', false)
  await expect(tab.locator('main')).toHaveAttribute('aria-busy', 'false')
  await expect(tab.getByText('Welcome back, Alice.', { exact: false })).toBeVisible()
  expect(await statusesAfterSplash(tab)).toEqual(['Signed in as Alice'])
  expect((await pageRecord(tab)).loginFormAt).toBeNull()

  // A sign-out heard from another tab, in this tab whose refresh has left: it shows the page of
  // nobody ("Signed in as" without a name) for not one commit on its way to the login page.
  const other = await openTab(tab.context(), tab.url())
  await press(other, 'Sign out')
  await expect(sessionStatus(tab)).toHaveText('Signed out')
  expect(await statusesAfterSplash(tab)).toEqual(['Signed in as Alice', 'Signed out'])
})

test('a boot refresh that fails on the network shows the splash, not a page that waits, and signs in once it gets through', async ({
  signedInTabs,
  context,
}) => {
  const [tab] = await signedInTabs(1)
  await context.route('**/auth/refresh', (route) => route.abort('connectionfailed'))

  await tab.reload()
  await expect(sessionStatus(tab)).toHaveText('Checking your session…')
  await expect(tab.locator('.splash')).toBeVisible()
  await expect(tab.getByRole('heading', { name: 'Dashboard' })).toHaveCount(0)

  await context.unroute('**/auth/refresh')
  await expect(sessionStatus(tab)).toHaveText('Signed in as Alice', { timeout: 30_000 })
  await expect(tab.getByRole('heading', { name: 'Dashboard', level: 1 })).toBeVisible()
})

test('a session that turns out to be gone shows no user while it resumes and lands on the login page', async ({
  signedInTabs,
  context,
}) => {
  const [tab] = await signedInTabs(1)
  // The BFF's answer to a refresh cookie it no longer knows.
  await context.route('**/auth/refresh', (route) =>
    route.fulfill({
      status: 401,
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'session_expired', message: 'Session expired.' } }),
    }),
  )

  await tab.reload()
  await expect(tab).toHaveURL(/\/login$/)
  await expect(tab.getByLabel('Username')).toBeVisible()
  const { statuses } = await pageRecord(tab)
  expect(statuses.map(({ text }) => text)).not.toContainEqual(expect.stringMatching(/^Signed in/))
})
