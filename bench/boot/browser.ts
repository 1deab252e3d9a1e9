/**
 * @module
 * The two kinds of browser profile the boot benchmark measures a page load in (`BrowserProfile`).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { CHROMIUM_LAUNCH } from '../lib/machine.js'

/**
 * Where each scenario's tabs live: `fresh`, a new off-the-record context of one browser
 * (Playwright's default: in-memory cookies, storage, HTTP and code caches); `profile`, a browser
 * of its own on a new on-disk profile, as a user's browser keeps its data between visits.
 */
export type BrowserProfile = 'fresh' | 'profile'

/** A context of the kind `profile` names; closing it also removes what it made. */
export async function openContext(
  profile: BrowserProfile,
  browser: Browser,
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (profile === 'fresh') {
    const context = await browser.newContext()
    return { context, close: () => context.close() }
  }
  const dir = mkdtempSync(join(tmpdir(), 'baton-boot-profile-'))
  const context = await chromium.launchPersistentContext(dir, CHROMIUM_LAUNCH)
  return {
    context,
    close: async () => {
      await context.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Both by default; `BATON_BENCH_BOOT_PROFILE=fresh` or `=profile` runs one. */
export const profilesToRun = (): BrowserProfile[] => {
  const chosen = process.env.BATON_BENCH_BOOT_PROFILE
  return chosen === 'fresh' || chosen === 'profile' ? [chosen] : ['fresh', 'profile']
}

/**
 * How the boot page loads its bundle: `module`, a module script, every bundler's default;
 * `classic`, a deferred classic script, as the demo's build ships its bundle. Chromium 156
 * compiles a module script afresh at every page load (its V8 code cache is never read back), a
 * classic one not (`BENCHMARKS.md` section 5).
 */
export type PageScript = 'module' | 'classic'

/** `module` by default; `BATON_BENCH_BOOT_SCRIPT=classic` measures a classic page. */
export const pageScript = (): PageScript =>
  process.env.BATON_BENCH_BOOT_SCRIPT === 'classic' ? 'classic' : 'module'

export const PROFILE_LABELS: Record<BrowserProfile, string> = {
  fresh: "a fresh off-the-record context of one browser (Playwright's default)",
  profile: "a browser of its own on a new on-disk profile (as a user's browser)",
}

/**
 * Opens `url` in a new tab of `context` and resolves once the page logs `message` (closing the tab
 * if it never does). Waiting for a console message runs nothing in the page: `waitForFunction`
 * would evaluate Playwright's injected script (25–55 ms of the page's main thread here) while the
 * page is being measured.
 */
export async function openUntilLogged(
  context: BrowserContext,
  url: string,
  message: string,
): Promise<Page> {
  const page = await context.newPage()
  try {
    const logged = page.waitForEvent('console', {
      predicate: (entry) => entry.text() === message,
      timeout: 30_000,
    })
    await page.goto(url, { waitUntil: 'commit' })
    await logged
    return page
  } catch (error) {
    await page.close()
    throw error
  }
}
