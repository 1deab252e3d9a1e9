/**
 * @module
 * Refresh storm: N tabs (pages of one Chromium browser context, so they share cookies,
 * BroadcastChannel and Web Locks) call the API every 200 ms for 30 s with a 3 s access token,
 * using Baton's client or the naive per-tab interceptor, against the same BFF.
 *
 * One scenario: a fresh server; the first tab opens and signs in; the other N−1 tabs open at once
 * (a browser restoring a session) and get their token as their client does (Baton: from a peer
 * tab; naive: a "silent refresh" each); then every tab calls on its own 200 ms schedule, the tabs'
 * schedules spread evenly over the period. Counts cover the whole scenario, tab openings included.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { chromium, type Browser, type Page } from 'playwright-core'
import type { Duration } from '@baton/bff'
import type { Benchmark, BenchmarkOutcome, BenchSettings } from '../lib/benchmark.js'
import { CHROMIUM_LAUNCH, CHROMIUM_PATH } from '../lib/machine.js'
import { BENCH_DIR } from '../lib/processes.js'
import { percentile, sum } from '../lib/stats.js'
import { formatTable } from '../lib/table.js'
import type { TabStats } from './pages/tab-bench.js'
import { startStormServer, type BffCounts } from './server.js'

const PERIOD_MS = 200
const TAB_COUNTS = [1, 5, 10] as const

interface Variant {
  id: string
  client: 'baton' | 'naive'
  label: string
  grace: Duration
  /** Only at these tab counts (all when absent). */
  only?: readonly number[]
}

const VARIANTS: readonly Variant[] = [
  { id: 'baton', client: 'baton', label: 'Baton', grace: '10s' },
  { id: 'naive', client: 'naive', label: 'naive', grace: '10s' },
  { id: 'naive-grace0', client: 'naive', label: 'naive', grace: 0 },
  // A control at the worst case: Baton's tabs never race, so it needs no grace window at all.
  // Only at 10 tabs, to keep the whole bench within its 10 minutes.
  { id: 'baton-grace0', client: 'baton', label: 'Baton', grace: 0, only: [10] },
]

const launchChromium = () => chromium.launch(CHROMIUM_LAUNCH)

/** One scenario's outcome. */
export interface ScenarioResult {
  variant: string
  client: Variant['client']
  grace: Duration
  tabs: number
  durationMs: number
  bff: BffCounts
  calls: number
  scheduled: number
  failed: number
  forcedLogouts: number
  relogins: number
  waited: number
  addedP50: number
  addedP95: number
  callP50: number
  maxLateMs: number
  bootErrors: string[]
  errors: string[]
}

async function bundlePages(): Promise<Record<string, string>> {
  const result = await build({
    entryPoints: {
      baton: join(BENCH_DIR, 'storm/pages/baton-tab.ts'),
      naive: join(BENCH_DIR, 'storm/pages/naive-tab.ts'),
    },
    absWorkingDir: BENCH_DIR,
    outdir: 'out',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // The client from its TypeScript sources: no package build needed.
    conditions: ['@baton/source'],
    write: false,
    logLevel: 'error',
  })
  return Object.fromEntries(
    result.outputFiles.map((file) => [/([^/]+)\.js$/.exec(file.path)![1]!, file.text]),
  )
}

const describe = (error: unknown) =>
  error instanceof Error ? error.message.split('\n')[0]! : String(error)

async function runScenario(
  browser: Browser,
  scripts: Record<string, string>,
  variant: Variant,
  tabs: number,
  durationMs: number,
): Promise<ScenarioResult> {
  const server = await startStormServer(variant.grace, scripts)
  const context = await browser.newContext()
  try {
    const open = async () => {
      const page = await context.newPage()
      await page.goto(`${server.origin}/${variant.client}`)
      await page.waitForFunction(() => 'bench' in window)
      return page
    }
    const bootErrors: string[] = []
    const boot = (page: Page, role: 'login' | 'join') =>
      page
        .evaluate((r) => window.bench.boot(r), role)
        .catch((error: unknown) => {
          // A tab whose boot failed (signed out by a reuse alarm) still runs: its client signs in
          // again, and its failures are counted like any other.
          bootErrors.push(describe(error))
        })

    const first = await open()
    await boot(first, 'login')
    // The other tabs open together, as when the browser restores a session.
    const others = await Promise.all(Array.from({ length: tabs - 1 }, open))
    await Promise.all(others.map((page) => boot(page, 'join')))
    const pages = [first, ...others]

    const startAt = Date.now() + 300
    await Promise.all(
      pages.map((page, i) =>
        page.evaluate(
          (args) => window.bench.start(args.startAt, args.durationMs, args.period, args.phase),
          { startAt, durationMs, period: PERIOD_MS, phase: (i * PERIOD_MS) / tabs },
        ),
      ),
    )
    const stats: TabStats[] = await Promise.all(
      pages.map((page) => page.evaluate(() => window.bench.result())),
    )

    const added = stats.flatMap((s) => s.waitedAdded)
    return {
      variant: variant.id,
      client: variant.client,
      grace: variant.grace,
      tabs,
      durationMs,
      bff: { ...server.counts },
      calls: sum(stats.map((s) => s.calls)),
      scheduled: sum(stats.map((s) => s.scheduled)),
      failed: sum(stats.map((s) => s.failed)),
      forcedLogouts: sum(stats.map((s) => s.forcedLogouts)),
      relogins: sum(stats.map((s) => s.relogins)),
      waited: added.length,
      addedP50: percentile(added, 50),
      addedP95: percentile(added, 95),
      callP50: percentile(
        stats.flatMap((s) => s.okTotals),
        50,
      ),
      maxLateMs: Math.max(...stats.map((s) => s.maxLateMs)),
      bootErrors,
      errors: [...new Set(stats.flatMap((s) => s.errors))].slice(0, 5),
    }
  } finally {
    await context.close()
    await server.close()
  }
}

/** `["a", "a", "b"]` → `["a (×2)", "b"]`. */
function counted(messages: readonly string[]): string[] {
  const counts = new Map<string, number>()
  for (const message of messages) counts.set(message, (counts.get(message) ?? 0) + 1)
  return [...counts].map(([message, n]) => (n > 1 ? `${message} (×${n})` : message))
}

const graceLabel = (grace: Duration) => (grace === 0 ? '0' : String(grace))

async function runStorm(settings: BenchSettings): Promise<BenchmarkOutcome> {
  const durationMs = settings.quick ? 8_000 : 30_000
  if (!existsSync(CHROMIUM_PATH)) {
    const why = `Chromium not found at ${CHROMIUM_PATH} (install Debian's chromium, or set BATON_BENCH_CHROMIUM)`
    return { report: `Not run: ${why}.`, data: { skipped: why }, failures: [`storm: ${why}`] }
  }
  const scripts = await bundlePages()
  const browser = await launchChromium()
  const results: ScenarioResult[] = []
  try {
    for (const tabs of TAB_COUNTS) {
      for (const variant of VARIANTS.filter((v) => !v.only || v.only.includes(tabs))) {
        settings.log(
          `storm: ${tabs} tab(s), ${variant.label} client, grace ${graceLabel(variant.grace)}, ${durationMs / 1000} s`,
        )
        results.push(await runScenario(browser, scripts, variant, tabs, durationMs))
      }
    }
  } finally {
    await browser.close()
  }

  const table = formatTable(
    [
      'tabs',
      'client',
      'grace',
      'refresh requests',
      'rotations',
      'grace hits',
      'reuse detected',
      'forced logouts',
      'failed calls',
      'calls / scheduled',
      'waited',
      'added p50 ms',
      'added p95 ms',
      'call p50 ms',
      'max tick late ms',
    ],
    results.map((r) => [
      r.tabs,
      r.client === 'baton' ? 'Baton' : 'naive',
      graceLabel(r.grace),
      r.bff.refreshRequests,
      r.bff.rotations,
      r.bff.duplicates,
      r.bff.reuseDetected,
      r.forcedLogouts,
      r.failed,
      `${r.calls} / ${r.scheduled}`,
      r.waited,
      r.addedP50,
      r.addedP95,
      r.callP50,
      Math.round(r.maxLateMs),
    ]),
  )
  const problems = results
    .filter((r) => r.bootErrors.length > 0 || r.errors.length > 0)
    .map((r) => {
      const boot = counted(r.bootErrors.map((e) => `opening a tab: ${e}`))
      return `- ${r.tabs} tab(s), ${r.variant}: ${[...boot, ...r.errors].join('; ')}`
    })
  const notes = [
    `${durationMs / 1000} s per scenario, access token 3 s, one call per tab every ${PERIOD_MS} ms; ` +
      `Baton with refreshMargin 500 ms. Browser: ${settings.machine.chromium ?? CHROMIUM_PATH}.`,
    ...(problems.length > 0 ? ['', 'Failure messages seen:', ...problems] : []),
  ]
  return {
    report: [table, '', ...notes].join('\n'),
    data: { periodMs: PERIOD_MS, durationMs, results },
    failures: [],
  }
}

/** The refresh-storm benchmark. */
export const stormBenchmark: Benchmark = {
  name: 'storm',
  title: 'Refresh storm: Baton vs the naive interceptor',
  run: runStorm,
}
