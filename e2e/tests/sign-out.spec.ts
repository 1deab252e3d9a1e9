/**
 * Scenarios 5 and 9 of issue #5: a sign-out reaches every tab at once and kills the cookie; a
 * session revoked from another device ends at its next refresh.
 */
import type { Response } from '@playwright/test'
import { expect, openTab, sessionStatus, signIn, test } from '../fixtures.js'
import { statusShownAt, statusesSinceSignIn } from '../page-probes.js'
import { outcomes } from '../traffic.js'
import { refreshCookie, refreshWithCookie } from '../refresh-cookie.js'

const TOKEN_LIFETIME_MS = 3_000

const isRefresh = (response: Response) =>
  response.request().method() === 'POST' && new URL(response.url()).pathname === '/auth/refresh'

test('signing out in one tab signs out all tabs within 1 s, and the old cookie answers 401 session_revoked', async ({
  context,
  signedInTabs,
  demo,
  traffic,
}) => {
  const all = await signedInTabs(3)
  const [a, b, c] = all
  const [login] = demo.eventsOf('login')
  const cookie = await refreshCookie(context)
  expect(cookie).not.toBeNull()

  await a.bringToFront()
  const clickedAt = Date.now()
  await a.getByRole('button', { name: 'Sign out', exact: true }).click()
  await Promise.all(
    all.map((tab) => expect(sessionStatus(tab)).toHaveText('Signed out', { timeout: 1_000 })),
  )
  // Measured in the pages: from before the click to the moment each showed "Signed out".
  for (const tab of all) {
    expect((await statusShownAt(tab, 'Signed out')) - clickedAt).toBeLessThan(1_000)
  }
  for (const tab of [b, c]) await expect(tab.getByText('You have been signed out.')).toBeVisible()

  // One logout, from tab A only; the others learned it from tab A, not from the server.
  expect(demo.eventsOf('logout')).toEqual([
    expect.objectContaining({ sessionId: login?.sessionId, everywhere: false }),
  ])
  expect(demo.eventsOf('revoked')).toEqual([])
  expect(traffic.of('/auth/logout').map(({ page }) => page)).toEqual([a])
  // Nobody tried to refresh once the logout had reached the server.
  const logoutAt = demo.requests.findIndex(({ path }) => path === '/auth/logout')
  expect(demo.requests.slice(logoutAt).filter(({ path }) => path === '/auth/refresh')).toEqual([])
  // The browser dropped the cookie, and a copy of it is worthless.
  expect(await refreshCookie(context)).toBeNull()
  const replay = await refreshWithCookie(demo.url, cookie!.value)
  expect(replay).toEqual({
    status: 401,
    code: 'session_revoked',
    setCookie: expect.stringContaining('Max-Age=0'),
  })
})

test("a sign-out racing the other tabs' scheduled refresh: no refresh goes out after it", async ({
  context,
  signedInTabs,
  demo,
  traffic,
}) => {
  const [a, b] = await signedInTabs(2)
  // The logout is slow on the wire for a whole token lifetime, longer than the ~2.5 s between
  // refreshes: every tab's refresh timer comes due while tab A holds the lock for it.
  await context.route('**/auth/logout', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, TOKEN_LIFETIME_MS))
    await route.continue()
  })

  await a.bringToFront()
  const clickedAt = Date.now()
  await a.getByRole('button', { name: 'Sign out', exact: true }).click()
  for (const tab of [a, b]) {
    await expect(sessionStatus(tab)).toHaveText('Signed out', { timeout: 2 * TOKEN_LIFETIME_MS })
  }
  // Tab B waited for the logout rather than spending the cookie it cleared: no refresh from
  // anyone after the click, and B ends with the real reason.
  await expect(b.getByText('You have been signed out.')).toBeVisible()
  expect(traffic.refreshes({ since: clickedAt })).toEqual([])
  const logoutAt = demo.requests.findIndex(({ path }) => path === '/auth/logout')
  expect(demo.requests.slice(logoutAt).filter(({ path }) => path === '/auth/refresh')).toEqual([])
  expect(demo.eventsOf('logout')).toHaveLength(1)
})

test('a session revoked from the Devices page of another device ends at its next refresh', async ({
  tabs,
  newDevice,
  demo,
  traffic,
}) => {
  const [laptop] = await tabs(1)
  await signIn(laptop)
  const phone = await openTab(await newDevice(), demo.url)
  await signIn(phone)
  const phoneSignedInAt = Date.now()
  const [laptopLogin, phoneLogin] = demo.eventsOf('login')

  await laptop.bringToFront()
  await laptop
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Devices' })
    .click()
  const sessions = laptop.getByRole('list', { name: 'Sessions' }).getByRole('listitem')
  await expect(sessions).toHaveCount(2)
  await expect(sessions.filter({ hasText: 'This device' })).toHaveCount(1)

  // The phone's first refused refresh, whenever its timer fires.
  const refused = phone.waitForResponse(
    (response) => isRefresh(response) && response.status() === 401,
  )
  const revokedAt = Date.now()
  await sessions
    .filter({ hasNotText: 'This device' })
    .getByRole('button', { name: 'Revoke' })
    .click()
  await expect(sessions).toHaveCount(1)
  await expect(sessions).toContainText('This device')
  expect(demo.eventsOf('revoked')).toEqual([
    expect.objectContaining({ sessionId: phoneLogin?.sessionId, reason: 'revoked' }),
  ])

  // Its next refresh is refused, and that signs the phone out.
  const answer = await refused
  expect(await answer.json()).toEqual({
    error: expect.objectContaining({ code: 'session_revoked' }),
  })
  await expect(sessionStatus(phone)).toHaveText('Signed out')
  await expect(phone.getByText('This session was revoked from another device.')).toBeVisible()
  const signedOutAt = await statusShownAt(phone, 'Signed out')
  // One 3 s lifetime at most, plus the refresh itself and the render.
  expect(signedOutAt - revokedAt).toBeLessThan(4_000)
  // Signed in until that refresh went out (both clocks are the browser's).
  expect(signedOutAt).toBeGreaterThanOrEqual(answer.request().timing().startTime)
  expect(await statusesSinceSignIn(phone)).toEqual(['Signed in as Alice', 'Signed out'])
  // Since signing in: refreshes answered 200 (if its timer fired before the revocation), then
  // exactly one refused, and none after it.
  await expect
    .poll(() => outcomes(traffic.refreshes({ page: phone, since: phoneSignedInAt })))
    .toEqual(expect.arrayContaining([401]))
  const phoneRefreshes = outcomes(traffic.refreshes({ page: phone, since: phoneSignedInAt }))
  expect(phoneRefreshes).toEqual([...phoneRefreshes.slice(0, -1).map(() => 200), 401])

  // The laptop's session is untouched.
  await expect(sessionStatus(laptop)).toHaveText('Signed in as Alice')
  expect(await statusesSinceSignIn(laptop)).toEqual(['Signed in as Alice'])
  expect(demo.eventsOf('logout')).toEqual([])
  expect(laptopLogin?.sessionId).not.toBe(phoneLogin?.sessionId)
})
