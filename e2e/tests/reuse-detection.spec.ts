/**
 * Scenario 6 of issue #5: reuse detection end to end. A copy of the refresh cookie, replayed by
 * someone else after the app has rotated it, ends the session for the thief and for every tab.
 */
import type { BrowserContext, Page } from '@playwright/test'
import { apiResult, expect, press, sessionStatus, signIn, test } from '../fixtures.js'
import { statusesSinceSignIn } from '../page-probes.js'
import { outcomes } from '../traffic.js'
import { REPLAY_USER_AGENT, refreshCookie, refreshWithCookie } from '../refresh-cookie.js'

/** Makes the app rotate the cookie once (forced expiry, then a call) and returns the new value. */
async function rotate(context: BrowserContext, tab: Page, from: string): Promise<string> {
  await press(tab, 'Expire access token now')
  await press(tab, 'Call API')
  await expect(apiResult(tab)).toContainText('1 of 1 succeeded')
  await expect.poll(async () => (await refreshCookie(context))?.value).not.toBe(from)
  return (await refreshCookie(context))!.value
}

test('a replayed copy of a rotated refresh cookie answers 401 refresh_token_reused and signs every tab out', async ({
  context,
  tabs,
  demo,
  traffic,
}) => {
  const [a] = await tabs(1)
  await signIn(a)
  const signedInAt = Date.now()
  const [b, c] = await tabs(2)
  const all = [a, b, c]
  for (const tab of all) await expect(sessionStatus(tab)).toHaveText('Signed in as Alice')
  const [login] = demo.eventsOf('login')

  const stolen = (await refreshCookie(context))!.value
  // The BFF keeps the default 10 s grace window, in which the token just before the current one
  // is still honoured (a lost response, two tabs racing) and gets the same successor. So the app
  // rotates twice: a copy two generations old is reuse whatever the timing. (A scheduled refresh
  // of the 3 s token in between only makes the copy older.)
  const rotated = await rotate(context, a, stolen)
  const current = await rotate(context, a, rotated)
  expect(new Set([stolen, rotated, current]).size).toBe(3)
  expect(demo.eventsOf('refresh').at(-1)?.generation).toBeGreaterThanOrEqual(2)
  expect(demo.eventsOf('refresh').filter(({ duplicate }) => duplicate)).toEqual([])

  // The first refresh of a tab that the BFF refuses, whichever tab it is.
  const tabRefused = context.waitForEvent('response', {
    predicate: (response) =>
      new URL(response.url()).pathname === '/auth/refresh' && response.status() === 401,
    timeout: 10_000,
  })
  const replay = await refreshWithCookie(demo.url, stolen)
  expect(replay).toEqual({
    status: 401,
    code: 'refresh_token_reused',
    setCookie: expect.stringContaining('Max-Age=0'),
  })
  // Exactly one alarm, raised by the replay (not by a tab), and the whole session revoked.
  expect(demo.eventsOf('reuse_detected')).toEqual([
    expect.objectContaining({ sessionId: login?.sessionId, userAgent: REPLAY_USER_AGENT }),
  ])
  expect(demo.eventsOf('revoked')).toEqual([
    expect.objectContaining({ sessionId: login?.sessionId, reason: 'reuse_detected' }),
  ])

  // Every tab is signed out at the next refresh, within one 3 s lifetime, with the reason.
  expect(await (await tabRefused).json()).toEqual({
    error: expect.objectContaining({ code: 'refresh_token_reused' }),
  })
  for (const tab of all) {
    await expect(sessionStatus(tab)).toHaveText('Signed out')
    await expect(
      tab.getByText('For your security this session was ended: its refresh token was used twice.'),
    ).toBeVisible()
    expect(await statusesSinceSignIn(tab)).toEqual(['Signed in as Alice', 'Signed out'])
  }
  // One tab's refresh was refused (with the code the client maps to this notice) and the others
  // heard it from that tab: since signing in, the pages had exactly one refresh refused, and the
  // BFF refused exactly that one and the replay.
  await expect
    .poll(() => outcomes(traffic.refreshes({ since: signedInAt })).filter((o) => o !== 200))
    .toEqual([401])
  const loginIndex = demo.requests.findIndex(({ path }) => path === '/auth/login')
  expect(
    demo.requests
      .slice(loginIndex)
      .filter(({ path, status }) => path === '/auth/refresh' && status !== 200)
      .map(({ status }) => status),
  ).toEqual([401, 401])
  expect(demo.eventsOf('reuse_detected')).toHaveLength(1)
  expect(await refreshCookie(context)).toBeNull()
})
