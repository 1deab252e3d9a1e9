import { defineConfig } from '@playwright/test'

// The fixtures import the demo server's TypeScript, which reaches the workspace packages through
// their `@baton/source` export condition. Node resolves conditions only from its command line, so
// the test script sets NODE_OPTIONS; fail here with the fix rather than with a missing dist file.
const conditions = `${process.env['NODE_OPTIONS'] ?? ''} ${process.execArgv.join(' ')}`
if (!conditions.includes('--conditions=@baton/source')) {
  throw new Error(
    'Run the e2e suite with `pnpm test` (or `pnpm --filter @baton/e2e test`), which sets ' +
      'NODE_OPTIONS=--conditions=@baton/source; or set it yourself before `playwright test`.',
  )
}

export default defineConfig({
  testDir: 'tests',
  // Two cores: Chromium's renderers need one, the demo server and the test worker the other, and
  // the scenarios measure timing (1 s cross-tab deadlines, exact refresh counts).
  workers: 1,
  fullyParallel: false,
  // A flaky scenario is a broken one: fix it, never retry it.
  retries: 0,
  forbidOnly: Boolean(process.env['CI']),
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 5_000 },
  use: {
    headless: true,
    launchOptions: {
      // Debian's Chromium, never a downloaded browser (issue #5).
      executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    },
    // DOM snapshots and network, no screencast: five tabs' screenshots would cost the CPU the
    // timing assertions need.
    trace: { mode: 'retain-on-failure', screenshots: false, snapshots: true },
  },
})
