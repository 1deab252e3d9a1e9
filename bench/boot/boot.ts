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
import { median, percentile } from '../lib/stats.js'
import { formatTable } from '../lib/table.js'
import { BOOT_DONE } from './pages/boot-done.js'
import type { BootResult, RoundTrip } from './pages/boot-tab.js'
import { openContext, profilesToRun, PROFILE_LABELS, type BrowserProfile } from './browser.js'
import { floorTable, measureFloor, type FloorResult } from './floor.js'
import { startBootServer, type BootServer } from './server.js'

/** Page loads measured per scenario, after {@link WARMUP} that are not. */
const SAMPLES = 25
const WARMUP = 3

/** Targets of issue 18, on medians. */
const TARGETS = { loneOverRtt: 15, beside: 20, anonymous: 10 } as const

interface Scenario {
  id: 'lone' | 'beside-1' | 'beside-4' | 'anonymous'
  label: string
  /** Signed-in tabs kept open beside the measured one. */
  beside: number
  signedIn: boolean
}

const SCENARIOS: readonly Scenario[] = [
  { id: 'lone', label: 'lone tab (signed in)', beside: 0, signedIn: true },
  { id: 'beside-1', label: 'new tab beside 1 signed-in tab', beside: 1, signedIn: true },
  { id: 'beside-4', label: 'new tab beside 4 signed-in tabs', beside: 4, signedIn: true },
  { id: 'anonymous', label: 'anonymous visitor', beside: 0, signedIn: false },
]

/** One scenario's samples. */
export interface BootScenarioResult {
  scenario: Scenario['id']
  bootMs: number[]
  /** Script start to the first request to the BFF, for loads that sent one. */
  firstRequestMs: number[]
  /** Script start to the refresh lock's grant, for loads that took it. */
  lockGrantedMs: number[]
  /** Refresh round trips measured in this scenario. */
  roundTrips: RoundTrip[]
  /** `POST /auth/refresh` requests the BFF saw during the measured boots (not the RTT probes). */
  refreshes: number
  /** Requests to `/auth/*` and `/api/*` the BFF saw during the measured boots. */
  requests: number
  /** Statuses and token sources that were not the expected ones. */
  unexpected: string[]
}

async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [join(BENCH_DIR, 'boot/pages/boot-tab.ts')],
    absWorkingDir: BENCH_DIR,
    bundle: true,
    format: 'esm',
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

/**
 * Opens `/boot` in a new tab and resolves once the page says it is measured. Waiting for its
 * console message runs nothing in the page: `waitForFunction` would evaluate Playwright's
 * injected script (25–55 ms of the page's main thread here) while the boot is under way, and
 * the boot would be measured with it.
 */
async function openMeasured(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage()
  const done = page.waitForEvent('console', {
    predicate: (message) => message.text() === BOOT_DONE,
    timeout: 30_000,
  })
  await page.goto(url, { waitUntil: 'commit' })
  await done
  return page
}

/** Opens a page at `/boot` and waits for its boot to be measured. */
async function measuredBoot(context: BrowserContext, origin: string): Promise<BootResult> {
  const page = await openMeasured(context, `${origin}/boot`)
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
        kept.push(await openMeasured(context, `${server.origin}/boot`))
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

const round = (ms: number) => Math.round(ms * 10) / 10

/** One profile's table, its floor's, and the targets it missed. */
function tabulate(profile: BrowserProfile, results: BootScenarioResult[], floor: FloorResult) {
  const failures: string[] = []
  const rows = results.map((r) => {
    const scenario = SCENARIOS.find((s) => s.id === r.scenario)!
    const boot = median(r.bootMs)
    const network = median(r.roundTrips.map((trip) => trip.network))
    const script = median(r.roundTrips.map((trip) => trip.script))
    const trips = r.roundTrips.length > 0
    let target: string
    let met: boolean
    if (scenario.id === 'lone') {
      target = `≤ RTT + ${TARGETS.loneOverRtt} ms`
      met = boot <= script + TARGETS.loneOverRtt
    } else if (scenario.id === 'anonymous') {
      target = `≤ ${TARGETS.anonymous} ms, 0 requests`
      met = boot <= TARGETS.anonymous && r.requests === 0
    } else {
      target = `≤ ${TARGETS.beside} ms, 0 refreshes`
      met = boot <= TARGETS.beside && r.refreshes === 0
    }
    if (!met)
      failures.push(`boot (${profile}): ${scenario.label}: median ${round(boot)} ms (${target})`)
    if (r.unexpected.length > 0) {
      failures.push(
        `boot (${profile}): ${scenario.label}: ${r.unexpected.length} loads ended ${r.unexpected[0]}`,
      )
    }
    return [
      scenario.label,
      round(boot),
      round(percentile(r.bootMs, 95)),
      r.lockGrantedMs.length > 0 ? round(median(r.lockGrantedMs)) : null,
      r.firstRequestMs.length > 0 ? round(median(r.firstRequestMs)) : null,
      trips ? round(script) : null,
      trips ? round(network) : null,
      trips ? round(boot - script) : null,
      r.refreshes,
      r.requests,
      target,
      met ? 'met' : 'MISSED',
    ]
  })
  const table = formatTable(
    [
      'page load',
      'boot p50 ms',
      'boot p95 ms',
      'refresh lock at p50 ms',
      'refresh sent at p50 ms',
      'refresh RTT p50 ms',
      'on the wire p50 ms',
      'boot − RTT ms',
      'refreshes',
      'requests',
      'target (p50)',
      '',
    ],
    rows,
  )
  return {
    report: [`Tabs in ${PROFILE_LABELS[profile]}:`, '', table, '', floorTable(floor)].join('\n'),
    failures,
  }
}

async function runBoot(settings: BenchSettings): Promise<BenchmarkOutcome> {
  if (!existsSync(CHROMIUM_PATH)) {
    const why = `Chromium not found at ${CHROMIUM_PATH} (install Debian's chromium, or set BATON_BENCH_CHROMIUM)`
    return { report: `Not run: ${why}.`, data: { skipped: why }, failures: [`boot: ${why}`] }
  }
  const samples = settings.quick ? 7 : SAMPLES
  const server = await startBootServer(await bundlePage())
  const browser = await chromium.launch(CHROMIUM_LAUNCH)
  const measured: Array<{
    profile: BrowserProfile
    results: BootScenarioResult[]
    floor: FloorResult
  }> = []
  try {
    for (const profile of profilesToRun()) {
      const results: BootScenarioResult[] = []
      for (const scenario of SCENARIOS) {
        settings.log(`boot (${profile}): ${scenario.label}, ${samples} page loads`)
        results.push(await runScenario(browser, profile, server, scenario, samples))
      }
      settings.log(`boot (${profile}): the platform's floor, ${samples} page loads per probe`)
      const { context, close } = await openContext(profile, browser)
      const floor = await measureFloor(context, server.origin, samples, WARMUP).finally(close)
      measured.push({ profile, results, floor })
    }
  } finally {
    await browser.close()
    await server.close()
  }
  const tables = measured.map(({ profile, results, floor }) => ({
    profile,
    ...tabulate(profile, results, floor),
  }))
  const notes = [
    `${samples} page loads per row after ${WARMUP} unmeasured ones, each in a new tab. Boot: the ` +
      `client script's first statement to the status leaving \`loading\` (performance.now() in ` +
      `the page). Refresh lock at: script start to the cross-tab refresh lock's grant (the ` +
      `lone tab's first Web Locks call). Refresh sent at: script start to the refresh ` +
      `request's start. Refresh RTT: ` +
      `\`fetch()\` called to the response body read in the page, the earliest any script could ` +
      `hold a token (the targets compare with it); on the wire: request start to response end ` +
      `(resource timing). The lone tab's RTT is its own boot refresh; beside signed-in tabs, one ` +
      `refresh by a signed-in tab after each load. Refreshes and requests: what reached the BFF ` +
      `during the measured loads. Browser: ${settings.machine.chromium ?? CHROMIUM_PATH}, ` +
      `headless, loopback.`,
  ]
  notes.push(
    `The platform's floor (\`floor.ts\`): fresh tabs of the same browser that run no Baton, ` +
      `timed from their script's start: a POST's round trip, the first Web Locks grant, the ` +
      `first IndexedDB open and read, and them in the order a lone tab bound to a device key ` +
      `needs them, with and without the proof's ECDSA signature; and the boot page itself, its ` +
      `script evaluated and the client created but not started, asking for its first lock where ` +
      `\`start()\` would; and one BroadcastChannel message answered by a tab already open, what ` +
      `a new tab beside signed-in ones needs at least. What the lone tab's boot takes beyond ` +
      `\`lock, idb, sign, fetch\`, and a tab beside signed-in ones beyond the channel's answer, ` +
      `is Baton's own work and what a real page's script costs.`,
  )
  return {
    report: [...tables.map((t) => t.report), '', ...notes].join('\n\n'),
    data: { samples, warmup: WARMUP, targets: TARGETS, measured },
    failures: tables.flatMap((t) => t.failures),
  }
}

/** The boot benchmark. */
export const bootBenchmark: Benchmark = {
  name: 'boot',
  title: 'Boot: page load to signed in',
  run: runBoot,
}
