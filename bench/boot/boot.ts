/**
 * @module
 * Boot: from the client script's start to a known session status, in real Chromium tabs (pages of
 * one browser context: one cookie jar, BroadcastChannel and Web Locks), for the four ways a page
 * load finds its browser (issue 18):
 * - a lone tab of a signed-in user (every other tab closed, the refresh cookie kept): one refresh;
 * - a new tab beside 1 and beside 4 signed-in tabs: the token from a peer, no refresh;
 * - an anonymous visitor (no companion cookie): `unauthenticated`, no request.
 * Each row stands next to the refresh round trip measured in the same scenario (the lone tab's
 * own refreshes; a signed-in tab's refresh after each sample beside it), as the page's script
 * sees it (`fetch()` to body read) and on the wire (resource timing).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import type { Benchmark, BenchmarkOutcome, BenchSettings } from '../lib/benchmark.js'
import { CHROMIUM_LAUNCH, CHROMIUM_PATH } from '../lib/machine.js'
import { BENCH_DIR } from '../lib/processes.js'
import { median } from '../lib/stats.js'
import { BOOT_DONE } from './pages/boot-done.js'
import type { BootResult } from './pages/boot-tab.js'
import {
  openContext,
  openUntilLogged,
  pageScript,
  profilesToRun,
  type BrowserProfile,
  type PageScript,
} from './browser.js'
import {
  buildDemo,
  demoTable,
  measureDemo,
  ONE_FRAME_MS,
  SLOW_REFRESH_MS,
  type DemoResult,
} from './demo.js'
import { measureFloor, type FloorResult } from './floor.js'
import {
  bootNotes,
  floorAbove,
  SCENARIOS,
  TARGETS,
  UNATTACHED,
  tabulate,
  type BootScenarioResult,
  type Scenario,
} from './report.js'
import { startBootServer, type BootServer } from './server.js'
import { measureUnattached } from './unattached.js'

/** Page loads measured per scenario, after {@link WARMUP} that are not. */
const SAMPLES = 25
const WARMUP = 3

async function bundlePage(kind: PageScript): Promise<string> {
  const result = await build({
    entryPoints: [join(BENCH_DIR, 'boot/pages/boot-tab.ts')],
    absWorkingDir: BENCH_DIR,
    bundle: true,
    format: kind === 'module' ? 'esm' : 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    conditions: ['@baton/source'],
    // The script's start: the first statement, before the client's module code runs.
    banner: { js: 'globalThis.__bootT0 = performance.now();' },
    write: false,
    logLevel: 'error',
  })
  return result.outputFiles[0]!.text
}

/** Opens a page at `/boot` and waits for its boot to be measured. */
async function measuredBoot(context: BrowserContext, origin: string): Promise<BootResult> {
  const page = await openUntilLogged(context, `${origin}/boot`, BOOT_DONE)
  try {
    return await page.evaluate(() => window.bootResult!)
  } finally {
    await page.close()
  }
}

async function signedInPage(context: BrowserContext, origin: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(`${origin}/boot?login`)
  await page.waitForFunction(() => 'signIn' in window)
  await page.evaluate(() => window.signIn!())
  return page
}

async function runScenario(
  browser: Browser,
  profile: BrowserProfile,
  server: BootServer,
  scenario: Scenario,
  samples: number,
): Promise<BootScenarioResult> {
  const { context, close } = await openContext(profile, browser)
  const result: BootScenarioResult = {
    scenario: scenario.id,
    bootMs: [],
    firstRequestMs: [],
    lockGrantedMs: [],
    roundTrips: [],
    refreshes: 0,
    requests: 0,
    unexpected: [],
  }
  try {
    const kept: Page[] = []
    if (scenario.signedIn) {
      const first = await signedInPage(context, server.origin)
      kept.push(first)
      // The others boot from the first one's token, as a user opening more tabs would.
      for (let i = 1; i < scenario.beside; i++) {
        kept.push(await openUntilLogged(context, `${server.origin}/boot`, BOOT_DONE))
      }
      // A lone tab: every tab closed, the cookies kept.
      if (scenario.beside === 0) await first.close()
    }
    const expected = scenario.signedIn ? 'authenticated' : 'unauthenticated'
    const source = scenario.beside > 0 ? 'peer' : scenario.signedIn ? 'local' : null
    for (let i = 0; i < WARMUP + samples; i++) {
      const before = { ...server.counts }
      const boot = await measuredBoot(context, server.origin)
      const refreshes = server.counts.refreshes - before.refreshes
      const requests = server.counts.requests - before.requests
      if (boot.status !== expected || boot.source !== source) {
        result.unexpected.push(`${boot.status} from ${String(boot.source)}`)
      }
      let trips = boot.refreshes
      if (scenario.beside > 0) trips = [await kept[0]!.evaluate(() => window.measureRefresh!())]
      if (i < WARMUP) continue
      result.bootMs.push(boot.bootMs)
      if (boot.firstRequestMs !== null) result.firstRequestMs.push(boot.firstRequestMs)
      if (boot.lockGrantedMs !== null) result.lockGrantedMs.push(boot.lockGrantedMs)
      result.roundTrips.push(...trips)
      result.refreshes += refreshes
      result.requests += requests
    }
    return result
  } finally {
    await close()
  }
}

async function runBoot(settings: BenchSettings): Promise<BenchmarkOutcome> {
  if (!existsSync(CHROMIUM_PATH)) {
    const why = `Chromium not found at ${CHROMIUM_PATH} (install Debian's chromium, or set BATON_BENCH_CHROMIUM)`
    return { report: `Not run: ${why}.`, data: { skipped: why }, failures: [`boot: ${why}`] }
  }
  const samples = settings.quick ? 7 : SAMPLES
  settings.log('boot: building the demo (vite build)')
  buildDemo()
  const kind = pageScript()
  const server = await startBootServer(await bundlePage(kind), kind)
  const browser = await chromium.launch(CHROMIUM_LAUNCH)
  const measured: Array<{
    profile: BrowserProfile
    results: BootScenarioResult[]
    floor: FloorResult
  }> = []
  const demo: Array<{
    profile: BrowserProfile
    refreshDelayMs: number
    loads: DemoResult
    floorMs: number
  }> = []
  try {
    for (const profile of profilesToRun()) {
      const results: BootScenarioResult[] = []
      for (const scenario of SCENARIOS) {
        settings.log(`boot (${profile}): ${scenario.label}, ${samples} page loads`)
        results.push(await runScenario(browser, profile, server, scenario, samples))
        if (scenario.id !== 'lone') continue
        settings.log(`boot (${profile}): ${UNATTACHED.label}, ${samples} page loads`)
        results.push(await measureUnattached(server, profile, samples, WARMUP))
      }
      settings.log(`boot (${profile}): the platform's floor, ${samples} page loads per probe`)
      const { context, close } = await openContext(profile, browser)
      const floor = await measureFloor(context, server.origin, samples, WARMUP).finally(close)
      measured.push({ profile, results, floor })
      for (const refreshDelayMs of [0, SLOW_REFRESH_MS]) {
        const slow = refreshDelayMs > 0 ? `, its refresh answered ${refreshDelayMs} ms later` : ''
        settings.log(`boot (${profile}): the demo's dashboard${slow}, ${samples} page loads`)
        demo.push({
          profile,
          refreshDelayMs,
          loads: await measureDemo(browser, profile, samples, WARMUP, refreshDelayMs),
          floorMs: median(floor['a heading on screen, after an answer']),
        })
      }
    }
  } finally {
    await browser.close()
    await server.close()
  }
  const tables = measured.map(({ profile, results, floor }) => ({
    profile,
    ...tabulate(profile, results, floor),
  }))
  const notes = bootNotes(samples, WARMUP, settings.machine.chromium ?? CHROMIUM_PATH, kind)
  const dashboard = demoTable(demo)
  return {
    report: [...tables.map((t) => t.report), dashboard.table, '', ...notes].join('\n\n'),
    data: {
      samples,
      warmup: WARMUP,
      pageScript: kind,
      targets: { ...TARGETS, demoOnScreen: ONE_FRAME_MS },
      measured,
      demo,
    },
    failures: [
      ...tables.flatMap((t) => t.failures),
      ...dashboard.missed.map(({ profile, floorMs }) => {
        const above = floorAbove(floorMs, ONE_FRAME_MS)
        const why = above && ` (${above})`
        return `boot (${profile}): the demo's dashboard on screen more than one frame after the grant${why}`
      }),
    ],
  }
}

/** The boot benchmark. */
export const bootBenchmark: Benchmark = {
  name: 'boot',
  title: 'Boot: page load to signed in',
  run: runBoot,
}
