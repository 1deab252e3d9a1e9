/**
 * Issue 12, M1: a sign-out the BFF never received (the network failed) does not come back. The
 * tab is signed out and says the server has not confirmed it; the browser remembers the sign-out,
 * and the next page load sends the logout again instead of refreshing the still-valid cookie.
 */
import { expect, press, sessionStatus, test } from '../fixtures.js'
import { pageRecord } from '../page-probes.js'
import { refreshCookie } from '../refresh-cookie.js'

const UNCONFIRMED =
  'You are signed out here, but the server could not confirm it. This browser finishes signing out the next time the app can reach the server.'

test('a sign-out lost on the network: the page says so, and a reload ends the session with a logout, never a refresh', async ({
  context,
  signedInTabs,
  demo,
  traffic,
}) => {
  const [a, b] = await signedInTabs(2)
  const [login] = demo.eventsOf('login')
  await context.route('**/auth/logout', (route) => route.abort('connectionfailed'))

  const clickedAt = Date.now()
  await press(a, 'Sign out')
  for (const tab of [a, b]) await expect(sessionStatus(tab)).toHaveText('Signed out')
  await expect(a.getByRole('alert')).toHaveText(UNCONFIRMED)
  await expect(b.getByText('You have been signed out.')).toBeVisible()
  // Nothing reached the BFF, and the browser still holds a valid refresh cookie.
  expect(traffic.of('/auth/logout').map(({ failure }) => failure)).toEqual([
    'net::ERR_CONNECTION_FAILED',
  ])
  expect(demo.eventsOf('logout')).toEqual([])
  expect(await refreshCookie(context)).not.toBeNull()
  // What the browser remembers is only that a sign-out is pending, for the sign-in the companion
  // cookie's tag names (so a later sign-in is not ended by it).
  const hint = await a.evaluate(() => /baton_session=([\w-]{12})/.exec(document.cookie)?.[1])
  expect(hint).toMatch(/^[\w-]{12}$/)
  expect(await a.evaluate(() => Object.entries(localStorage))).toEqual([
    [`baton:${new URL('/auth', a.url()).href}:logout`, `1:${hint}`],
  ])

  // The network is back; the user reloads.
  await context.unroute('**/auth/logout')
  await a.reload()
  await expect(sessionStatus(a)).toHaveText('Signed out')
  await expect(a.getByText('You have been signed out.')).toBeVisible()
  await expect(a.getByRole('alert')).toHaveCount(0)
  // The BFF got the logout of that session, and not one refresh since the click.
  expect(demo.eventsOf('logout')).toEqual([
    expect.objectContaining({ sessionId: login?.sessionId, everywhere: false }),
  ])
  expect(traffic.refreshes({ since: clickedAt })).toEqual([])
  expect(demo.refreshRequests().filter(({ at }) => at >= clickedAt)).toEqual([])
  expect(await refreshCookie(context)).toBeNull()
  expect(await a.evaluate(() => Object.entries(localStorage))).toEqual([])
  // Signed out for every frame of the reloaded page.
  const { statuses } = await pageRecord(a)
  expect(statuses.map(({ text }) => text)).toEqual(['Checking your session…', 'Signed out'])
})
