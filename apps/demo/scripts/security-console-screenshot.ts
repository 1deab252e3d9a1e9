/**
 * Regenerates `apps/demo/docs/security-console.png`: starts the built demo on a free port,
 * generates traffic (sign-ins from three devices, wrong passwords, refreshes, one refresh-token
 * reuse) and photographs alice's security console.
 *
 * Run from apps/demo after `pnpm build`:
 * `pnpm exec tsx --conditions=@baton/source scripts/security-console-screenshot.ts`
 * Uses the system Chromium (`CHROMIUM_PATH`, default /usr/bin/chromium); it never downloads one.
 */
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { loadConfig } from '../server/config.js'
import { startDemoServer } from '../server/start.js'

const OUT = fileURLToPath(new URL('../docs/security-console.png', import.meta.url))
const LAPTOP_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:144.0) Gecko/20100101 Firefox/144.0'
const PHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Mobile/15E148 Safari/604.1'

const server = await startDemoServer({
  // Short tokens so that refreshes happen while the console is open; a 1 s grace window so the
  // replayed refresh token below counts as reuse.
  config: loadConfig(
    { PORT: '0', BATON_ACCESS_TTL: '8s', BATON_REFRESH_MARGIN: '2s', BATON_GRACE_PERIOD: '1s' },
    'production',
  ),
  log: null,
  logger: { warn() {}, error: console.error },
})
const browser: Browser = await chromium.launch({
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

async function signIn(page: Page, username: string, password: string) {
  await page.goto(`${server.url}/login`)
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
}

/** A script replaying an old refresh token after the grace window: the BFF's reuse alarm. */
async function replayRefreshToken() {
  const headers = { 'content-type': 'application/json', 'x-csrf': '1', origin: server.url }
  const login = await fetch(`${server.url}/auth/login`, {
    method: 'POST',
    headers: { ...headers, 'user-agent': 'curl/8.5.0' },
    body: JSON.stringify({ username: 'bob', password: 'builder' }),
  })
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!
  const refresh = () =>
    fetch(`${server.url}/auth/refresh`, {
      method: 'POST',
      headers: { ...headers, cookie, 'user-agent': 'curl/8.5.0' },
    })
  await refresh()
  await new Promise((resolve) => setTimeout(resolve, 1_500))
  await refresh()
}

try {
  mkdirSync(fileURLToPath(new URL('../docs/', import.meta.url)), { recursive: true })
  const admin = await browser.newContext({
    viewport: { width: 1360, height: 1000 },
    deviceScaleFactor: 1.5,
  })
  const console_ = await admin.newPage()
  await signIn(console_, 'alice', 'wonderland')
  await console_.getByRole('link', { name: 'Security' }).click()
  await console_
    .getByRole('status', { name: 'Stream status' })
    .filter({ hasText: 'Live' })
    .waitFor()

  const laptop = await browser.newContext({ userAgent: LAPTOP_UA })
  const bobLaptop = await laptop.newPage()
  for (const wrong of ['bulider', 'Builder', 'builder1']) {
    await signIn(bobLaptop, 'bob', wrong)
    await bobLaptop.getByRole('alert').waitFor()
  }
  await signIn(bobLaptop, 'bob', 'builder')
  const phone = await browser.newContext({
    userAgent: PHONE_UA,
    viewport: { width: 390, height: 844 },
    isMobile: true,
  })
  await signIn(await phone.newPage(), 'alice', 'wonderland')
  await replayRefreshToken()
  // Let the open tabs refresh a few times (8 s tokens, refreshed 2 s before expiry).
  await console_.waitForTimeout(20_000)
  await console_
    .getByRole('table', { name: 'Audit events' })
    .locator('tr[data-event="refresh"]')
    .first()
    .waitFor()
  await console_.mouse.move(0, 0)
  await console_.screenshot({ path: OUT, fullPage: true })
  process.stdout.write(`saved ${OUT}\n`)
} finally {
  await browser.close()
  await server.close()
}
