/**
 * @module
 * The suite's fixtures. Every test gets its own demo server (fresh memory store, fresh keys, an
 * ephemeral 127.0.0.1 port, 3 s access tokens), a browser context whose pages are recorded from
 * their first byte, and helpers to open tabs and sign in through the UI.
 *
 * @example
 * ```ts
 * import { expect, sessionStatus, signIn, test } from '../fixtures.js'
 *
 * test('two tabs share one session', async ({ tabs, demo }) => {
 *   const [a, b] = await tabs(2)
 *   await signIn(a)
 *   await expect(sessionStatus(b)).toHaveText('Signed in as Alice')
 *   expect(demo.eventsOf('login')).toHaveLength(1)
 * })
 * ```
 */
import {
  test as base,
  expect,
  type BrowserContext,
  type Locator,
  type Page,
} from '@playwright/test'
import { DEMO_ACCOUNTS, type Env } from '@baton/demo/server'
import { startDemo, type Demo } from './demo-server.js'
import { installPageRecorder } from './page-probes.js'
import { createTraffic, type Traffic } from './traffic.js'

export { expect }

/** A demo account's username: `'alice' | 'bob'`. */
export type DemoUsername = (typeof DEMO_ACCOUNTS)[number]['user']['username']

/** The demo server's accounts (`DEMO_ACCOUNTS`), by username. */
export const USERS = Object.fromEntries(
  DEMO_ACCOUNTS.map(({ user, password }) => [
    user.username,
    { username: user.username, password, name: user.name },
  ]),
  // fromEntries types its keys as string; DEMO_ACCOUNTS holds exactly the DemoUsername ones.
) as Record<DemoUsername, { username: string; password: string; name: string }>

/** The app's accessible session status: "Checking your session…", "Signed out", "Signed in as …". */
export const sessionStatus = (page: Page): Locator =>
  page.getByRole('status', { name: 'Session status' })

/** The dashboard's result of the last "Call API" / "Fire 20 requests". */
export const apiResult = (page: Page): Locator => page.getByRole('status', { name: 'API result' })

/** `[T, T, …]` with `N` elements, so `const [a, b] = await tabs(2)` needs no `!`. */
export type TupleOf<N extends number, T, R extends T[] = []> = R['length'] extends N
  ? R
  : TupleOf<N, T, [...R, T]>

/** Opens `n` tabs of one browser. */
export type Tabs = <N extends number>(n: N, path?: string) => Promise<TupleOf<N, Page>>

interface Fixtures {
  /** Variables over the default demo settings for this test (`test.use({ demoEnv: … })`). */
  demoEnv: Env
  /** The demo server of this test, with its BFF events and request log. */
  demo: Demo
  /** Every request the pages of this test's contexts sent. */
  traffic: Traffic
  /**
   * Opens `n` pages (tabs) in the test's one browser context, one after the other, each on
   * `path` and settled (no longer "Checking your session…") before the next opens.
   */
  tabs: Tabs
  /**
   * Opens `n` tabs of one browser where the first signs in as Alice through the form and the
   * others then open beside it; resolves once every tab shows "Signed in as Alice".
   */
  signedInTabs: Tabs
  /** A new browser context (another device) with the same recording; closed after the test. */
  newDevice: () => Promise<BrowserContext>
}

const prepare = async (context: BrowserContext, traffic: Traffic) => {
  await context.addInitScript(installPageRecorder)
  traffic.watch(context)
}

/** Opens a tab of `context` on `url` and waits until it knows whether it is signed in. */
export async function openTab(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(url)
  await expect(sessionStatus(page)).toHaveText(/^(Signed out|Signed in as \w+)$/)
  return page
}

/**
 * Clicks the button named `name` (exact) in `page`, brought to the front first as a user would:
 * Chromium stops painting tabs behind the front one, and Playwright's click waits for frames to
 * see the button stand still.
 */
export async function press(page: Page, name: string): Promise<void> {
  await page.bringToFront()
  await page.getByRole('button', { name, exact: true }).click()
}

/** Signs in through the login form of `page` and waits until it shows the user signed in. */
export async function signIn(page: Page, user: DemoUsername = 'alice'): Promise<void> {
  const { username, password, name } = USERS[user]
  await page.bringToFront()
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  await expect(sessionStatus(page)).toHaveText(`Signed in as ${name}`)
}

export const test = base.extend<Fixtures>({
  demoEnv: [{}, { option: true }],

  demo: async ({ demoEnv }, use) => {
    const serverErrors: unknown[][] = []
    const demo = await startDemo(demoEnv, serverErrors)
    try {
      await use(demo)
    } finally {
      await demo.close()
    }
    // An unexpected 500 fails the scenario that caused it even when its assertions passed.
    expect(serverErrors, 'errors logged by the demo server').toEqual([])
  },

  // Playwright reads a fixture's dependencies from its first parameter, which must be a pattern.
  // eslint-disable-next-line no-empty-pattern
  traffic: async ({}, use) => {
    await use(createTraffic())
  },

  // Takes `demo` first so that it is set up before, and torn down after, the browser context:
  // the pages close before the server they talk to.
  context: async ({ demo: _demo, context, traffic }, use) => {
    await prepare(context, traffic)
    await use(context)
  },

  tabs: async ({ context, demo }, use) => {
    await use(async <N extends number>(n: N, path = '/') => {
      const pages: Page[] = []
      for (let i = 0; i < n; i++) pages.push(await openTab(context, new URL(path, demo.url).href))
      return pages as TupleOf<N, Page>
    })
  },

  signedInTabs: async ({ tabs }, use) => {
    await use(async <N extends number>(n: N, path = '/') => {
      const [first] = await tabs(1, path)
      await signIn(first)
      const all = [first, ...(await tabs(n - 1, path))]
      for (const tab of all) await expect(sessionStatus(tab)).toHaveText('Signed in as Alice')
      return all as TupleOf<N, Page>
    })
  },

  newDevice: async ({ demo: _demo, browser, traffic }, use) => {
    const devices: BrowserContext[] = []
    await use(async () => {
      const context = await browser.newContext()
      devices.push(context)
      await prepare(context, traffic)
      return context
    })
    await Promise.all(devices.map((context) => context.close()))
  },
})
