/**
 * `pnpm --filter @baton/demo screenshots`: starts the built demo on a free port, signs alice in
 * from a phone and from a desktop browser with two tabs, exercises the session, and saves
 * `docs/screenshots/dashboard.png` and `docs/screenshots/devices.png` at the repository root.
 *
 * Uses the system Chromium (`CHROMIUM_PATH`, default /usr/bin/chromium); it never downloads one.
 */
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { loadConfig } from '../server/config.js'
import { startDemoServer } from '../server/start.js'

const OUT_DIR = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url))
const DESKTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36'
const LAPTOP_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:144.0) Gecko/20100101 Firefox/144.0'
const PHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Mobile/15E148 Safari/604.1'

async function signIn(page: Page, url: string) {
  await page.goto(url)
  await page.getByLabel('Username').fill('alice')
  await page.getByLabel('Password').fill('wonderland')
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  await page
    .getByRole('status', { name: 'Session status' })
    .filter({ hasText: 'Signed in as Alice' })
    .waitFor()
}

async function newContext(
  browser: Awaited<ReturnType<typeof chromium.launch>>,
  options: Parameters<typeof browser.newContext>[0],
): Promise<BrowserContext> {
  const context = await browser.newContext(options)
  context.setDefaultTimeout(15_000)
  return context
}

const server = await startDemoServer({
  config: loadConfig({ PORT: '0', BATON_ACCESS_TTL: '5m' }, 'production'),
  log: null,
  logger: { warn() {}, error: console.error },
})
const browser = await chromium.launch({
  executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
  ],
})

try {
  mkdirSync(OUT_DIR, { recursive: true })

  // Other devices first, so the Devices page has more than this one to show.
  const laptop = await newContext(browser, { userAgent: LAPTOP_UA })
  await signIn(await laptop.newPage(), server.url)
  const phone = await newContext(browser, {
    userAgent: PHONE_UA,
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
  })
  await signIn(await phone.newPage(), server.url)

  const desktop = await newContext(browser, {
    userAgent: DESKTOP_UA,
    viewport: { width: 1280, height: 860 },
    deviceScaleFactor: 2,
  })
  const tab = await desktop.newPage()
  await signIn(tab, server.url)

  // A second tab of the same browser: it takes the token from the first one, then refreshes
  // for both after a forced expiry.
  const otherTab = await desktop.newPage()
  await otherTab.goto(server.url)
  await otherTab.getByRole('button', { name: 'Call API' }).click()
  await otherTab.getByRole('button', { name: 'Expire access token now' }).click()
  await otherTab.getByRole('button', { name: 'Fire 20 requests' }).click()
  await otherTab
    .getByRole('status', { name: 'API result' })
    .filter({ hasText: '20 of 20 succeeded' })
    .waitFor()

  await tab.bringToFront()
  await tab
    .getByRole('table', { name: 'Session events' })
    .getByText('Refresh finished in another tab')
    .waitFor()
  await tab.getByLabel('New note').fill('Rotate the signing keys on Friday')
  await tab.getByRole('button', { name: 'Add note' }).click()
  await tab.getByLabel('New note').fill('Check the refresh-token reuse alerts')
  await tab.getByRole('button', { name: 'Add note' }).click()
  await tab.getByRole('listitem').filter({ hasText: 'reuse alerts' }).waitFor()
  await tab.getByRole('button', { name: 'Expire access token now' }).click()
  await tab.getByRole('button', { name: 'Fire 20 requests' }).click()
  await tab
    .getByRole('status', { name: 'API result' })
    .filter({ hasText: '20 of 20 succeeded' })
    .waitFor()
  // Let the countdown move off its first second and the button hover fade.
  await tab.mouse.move(0, 0)
  await tab.waitForTimeout(1_200)
  await tab.screenshot({ path: `${OUT_DIR}dashboard.png`, fullPage: true })

  await tab.getByRole('link', { name: 'Devices' }).click()
  await tab.getByRole('list', { name: 'Sessions' }).getByRole('listitem').nth(2).waitFor()
  await tab.setViewportSize({ width: 1280, height: 720 })
  await tab.mouse.move(0, 0)
  await tab.screenshot({ path: `${OUT_DIR}devices.png`, fullPage: true })

  if (process.env['LOGIN_SCREENSHOT']) {
    const fresh = await newContext(browser, { viewport: { width: 1280, height: 860 } })
    const login = await fresh.newPage()
    await login.goto(server.url)
    await login.getByRole('button', { name: 'Sign in', exact: true }).click()
    await login.getByRole('alert').waitFor()
    await login.screenshot({ path: process.env['LOGIN_SCREENSHOT'] })
  }

  console.log(`Saved ${OUT_DIR}dashboard.png and ${OUT_DIR}devices.png`)
} finally {
  await browser.close()
  await server.close()
}
