/**
 * Issue 12, L3: any script of the origin can post on the tabs' BroadcastChannel. A forged grant
 * of another account does not switch the tabs, a forged `ended` does not sign them out while the
 * BFF still grants the session, garbage is ignored, and a flood of `refreshing` announcements does
 * not hold the API calls until their timeout.
 */
import type { Page } from '@playwright/test'
import { apiResult, expect, press, sessionStatus, test, USERS } from '../fixtures.js'
import { statusesSinceSignIn } from '../page-probes.js'

/**
 * The tabs' channel: `baton:` and the BFF's URL (the client's default), then the tab protocol's
 * version; and `baton:v2`, the default before issue 12, so these scenarios attack a client of
 * either kind (and fail against the old one). Spelled out, so that a change fails here.
 */
const channelsOf = (page: Page) => [`baton:${new URL('/auth', page.url()).href}:v2`, 'baton:v2']

/** Posts `messages` from `page` on the tabs' channel, as any script of the origin could. */
async function forge(page: Page, messages: unknown[]): Promise<void> {
  await page.evaluate(
    ({ names, messages }) => {
      for (const name of names) {
        const channel = new BroadcastChannel(name)
        for (const message of messages) channel.postMessage(message)
        channel.close()
      }
    },
    { names: channelsOf(page), messages },
  )
}

/** Signs Bob in from Node, as the attacker would on their own device: a real token of theirs. */
async function bobsGrant(appUrl: string) {
  const response = await fetch(new URL('/auth/login', appUrl), {
    method: 'POST',
    headers: { 'x-csrf': '1', origin: new URL(appUrl).origin, 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bob', password: USERS.bob.password }),
  })
  const body = (await response.json()) as {
    accessToken: string
    expiresIn: number
    user: { id: string }
    sessionId: string
  }
  const now = Date.now()
  return {
    accessToken: body.accessToken,
    expiresAt: now + body.expiresIn * 1000,
    lifetime: body.expiresIn * 1000,
    issuedAt: now,
    user: body.user,
    sessionId: body.sessionId,
  }
}

test('a forged grant of another account does not switch the tabs', async ({
  signedInTabs,
  demo,
}) => {
  const [a, b] = await signedInTabs(2)
  const grant = await bobsGrant(demo.url)
  await forge(a, [{ type: 'grant', grant }])
  // The tabs asked the BFF (one refresh), which answered for Alice's cookie.
  await expect.poll(() => demo.refreshCount()).toBeGreaterThan(0)
  for (const tab of [a, b]) {
    await press(tab, 'Call API')
    await expect(apiResult(tab)).toContainText('GET /api/me answered for Alice')
    expect(await statusesSinceSignIn(tab)).toEqual(['Signed in as Alice'])
  }
})

test('a forged ended, and garbage, sign nobody out', async ({ signedInTabs, demo }) => {
  const [a, b] = await signedInTabs(2)
  const [login] = demo.eventsOf('login')
  await forge(a, [
    { type: 'ended', sessionId: login?.sessionId, reason: 'session_revoked' },
    { type: 'ended', sessionId: null, reason: 'refresh_token_reused' },
    { type: 'grant', grant: null },
    { type: 'refreshing' },
    null,
  ])
  // Whatever the tabs checked with the BFF, it still grants the session.
  await a.waitForTimeout(1_000)
  for (const tab of [a, b]) {
    await expect(sessionStatus(tab)).toHaveText('Signed in as Alice')
    expect(await statusesSinceSignIn(tab)).toEqual(['Signed in as Alice'])
    await press(tab, 'Call API')
    await expect(apiResult(tab)).toContainText('1 of 1 succeeded')
  }
  expect(demo.eventsOf('logout')).toEqual([])
  expect(demo.eventsOf('revoked')).toEqual([])
})

test('a flood of forged refreshing announcements does not stall the API calls', async ({
  signedInTabs,
}) => {
  const [a, b] = await signedInTabs(2)
  // A script posting a new `refreshing` every 500 ms, each "answered" before its deadline.
  await a.evaluate((names) => {
    const channels = names.map((name) => new BroadcastChannel(name))
    let n = 0
    setInterval(() => {
      n++
      for (const channel of channels) {
        channel.postMessage({ type: 'refreshing', refreshId: `forged-${n}` })
        channel.postMessage({ type: 'refresh_failed', refreshId: `forged-${n - 1}` })
      }
    }, 500)
  }, channelsOf(a))
  await b.waitForTimeout(1_000)
  // Waiting for a peer is worth 3 s at most, and the tab that takes the lock then gives the
  // refreshes it knew of 1 s more to report (a slow one may still be on its way); ky would give
  // up after 10 s.
  for (const tab of [b, a, b]) {
    const pressedAt = Date.now()
    await press(tab, 'Call API')
    await expect(apiResult(tab)).toContainText('1 of 1 succeeded', { timeout: 4_500 })
    expect(Date.now() - pressedAt).toBeLessThan(4_500)
  }
})
