/**
 * Issue 18: a page load at the physical limit, in real Chromium tabs of one browser. A lone tab
 * of a signed-in user sends its refresh at once instead of asking absent tabs for `peerTimeout`
 * (250 ms) first, and without even reading the browser's locks: the presence marker in
 * localStorage lists no tab (the closed one unlisted itself on `pagehide`); tabs that start
 * together still make one refresh; a tab beside a signed-in one makes none (the marker lists it,
 * one lock read confirms it is alive); and a browser without `navigator.locks.query` falls back
 * to asking and waiting.
 *
 * What the tabs say is heard on their channel by a listener page that runs no Baton (the demo's
 * favicon, same origin): it holds no lock, so it is nobody a starting tab could ask.
 */
import type { BrowserContext, Page } from '@playwright/test'
import { expect, openTab, sessionStatus, signIn, test } from '../fixtures.js'

// The claim is how a tab gets its token, not expiry: no scheduled refresh inside a scenario.
test.use({ demoEnv: { BATON_ACCESS_TTL: '60s' } })

/** The client's default, spelled out so that a change fails here: `baton:` + BFF URL + version. */
const channelOf = (url: string) => `baton:${new URL('/auth', url).href}:v2`

/** A page that records every tab message (type, epoch ms when heard), and runs no Baton. */
async function listener(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(new URL('/favicon.svg', url).href)
  await page.evaluate((name) => {
    const heard: Array<{ type: string; at: number }> = []
    Object.assign(window, { heard })
    new BroadcastChannel(name).onmessage = (event: MessageEvent<{ type: string }>) =>
      heard.push({ type: event.data.type, at: Date.now() })
  }, channelOf(url))
  return page
}

/** Counts each page's `navigator.locks.query()` calls in `window.lockQueries`. */
async function countLockQueries(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const query = navigator.locks.query.bind(navigator.locks)
    Object.assign(window, { lockQueries: 0 })
    LockManager.prototype.query = () => {
      ;(window as unknown as { lockQueries: number }).lockQueries++
      return query()
    }
  })
}
const lockQueries = (page: Page) =>
  page.evaluate(() => (window as unknown as { lockQueries: number }).lockQueries)

const heard = (page: Page) =>
  page.evaluate(() => (window as unknown as { heard: Array<{ type: string; at: number }> }).heard)

/** Signs in in one tab, then closes it: a browser holding a session and no open tab. */
async function closedSession(context: BrowserContext, url: string): Promise<void> {
  const tab = await openTab(context, url)
  await signIn(tab)
  await tab.close()
}

test('a lone tab sends its refresh at once, not after peerTimeout, and is signed in by that one refresh', async ({
  context,
  demo,
}) => {
  await countLockQueries(context)
  await closedSession(context, demo.url)
  const ear = await listener(context, demo.url)
  const before = demo.refreshRequests().length

  const tab = await openTab(context, demo.url)
  await expect(sessionStatus(tab)).toHaveText('Signed in as Alice')
  expect(
    demo
      .refreshRequests()
      .slice(before)
      .map(({ status }) => status),
  ).toEqual([200])
  // The marker listed nobody: no lock read before the refresh.
  expect(await lockQueries(tab)).toBe(0)
  const messages = await heard(ear)
  expect(messages.map(({ type }) => type)).toEqual(['hello', 'refreshing', 'grant'])
  // Its question went out with the refresh; the refresh did not wait for an answer. Before
  // issue 18 they were peerTimeout (250 ms) apart; here the refresh lock's grant apart. The
  // listener hears both with some jitter (tens of ms on a loaded machine): 200 ms tells the two
  // apart.
  const [hello, refreshing] = messages
  expect(refreshing!.at - hello!.at).toBeLessThan(200)
})

test('tabs that start together make one refresh between them', async ({ context, demo }) => {
  await closedSession(context, demo.url)
  const before = demo.refreshRequests().length

  const pages = await Promise.all([context.newPage(), context.newPage(), context.newPage()])
  await Promise.all(pages.map((page) => page.goto(demo.url)))
  for (const page of pages) await expect(sessionStatus(page)).toHaveText('Signed in as Alice')
  expect(
    demo
      .refreshRequests()
      .slice(before)
      .map(({ status }) => status),
  ).toEqual([200])
  expect(demo.eventsOf('reuse_detected')).toEqual([])
})

test('a new tab beside a signed-in one makes no refresh: its token comes from the peer', async ({
  signedInTabs,
  context,
  demo,
}) => {
  await countLockQueries(context)
  await signedInTabs(1)
  const ear = await listener(context, demo.url)
  const before = demo.refreshRequests().length

  const tab = await openTab(context, demo.url)
  await expect(sessionStatus(tab)).toHaveText('Signed in as Alice')
  expect(demo.refreshRequests().slice(before)).toEqual([])
  // The marker listed the signed-in tab: one lock read confirmed it is alive before it was asked.
  expect(await lockQueries(tab)).toBe(1)
  expect((await heard(ear)).map(({ type }) => type)).toEqual(['hello', 'grant'])
})

test('without navigator.locks.query (an older browser) a lone tab asks, waits peerTimeout, then refreshes once', async ({
  context,
  demo,
}) => {
  await closedSession(context, demo.url)
  await context.addInitScript(() => {
    Reflect.deleteProperty(LockManager.prototype, 'query')
  })
  const ear = await listener(context, demo.url)
  const before = demo.refreshRequests().length

  const tab = await openTab(context, demo.url)
  await expect(sessionStatus(tab)).toHaveText('Signed in as Alice')
  expect(
    demo
      .refreshRequests()
      .slice(before)
      .map(({ status }) => status),
  ).toEqual([200])
  const messages = await heard(ear)
  expect(messages.map(({ type }) => type)).toEqual(['hello', 'refreshing', 'grant'])
  // peerTimeout (250 ms) apart, as the listener hears them (see the first scenario).
  expect(messages[1]!.at - messages[0]!.at).toBeGreaterThanOrEqual(200)
})
