/**
 * @module
 * The boot benchmark's scenarios, targets and tables (`boot.ts` measures, this reads the samples).
 */
import { median, percentile, tenths } from '../lib/stats.js'
import { formatTable } from '../lib/table.js'
import { PROFILE_LABELS, type BrowserProfile, type PageScript } from './browser.js'
import { floorTable, type FloorProbe, type FloorResult } from './floor.js'
import type { RoundTrip } from './pages/boot-tab.js'

/** Targets of issue 18, on medians. */
export const TARGETS = { loneOverRtt: 15, beside: 20, anonymous: 10 } as const

export interface Scenario {
  id: 'lone' | 'lone-unattached' | 'beside-1' | 'beside-4' | 'anonymous'
  label: string
  /** Signed-in tabs kept open beside the measured one. */
  beside: number
  signedIn: boolean
}

export const SCENARIOS: readonly Scenario[] = [
  { id: 'lone', label: 'lone tab (signed in)', beside: 0, signedIn: true },
  { id: 'beside-1', label: 'new tab beside 1 signed-in tab', beside: 1, signedIn: true },
  { id: 'beside-4', label: 'new tab beside 4 signed-in tabs', beside: 4, signedIn: true },
  { id: 'anonymous', label: 'anonymous visitor', beside: 0, signedIn: false },
]

/** The lone tab again, in a browser no automation is attached to (`unattached.ts`). */
export const UNATTACHED: Scenario = {
  id: 'lone-unattached',
  label: 'lone tab, no automation attached',
  beside: 0,
  signedIn: true,
}

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

/** A signed-in tab with no other tab open: its target is over its own refresh's round trip. */
const isLone = (scenario: Scenario) => scenario.signedIn && scenario.beside === 0

/**
 * What the platform itself needs, in the same run, for what a target allows Baton (in the target's
 * terms): a page that runs no Baton taking the lock, reading the key and signing, beyond its
 * request's round trip (lone tab); a `BroadcastChannel` question answered by an open tab (beside
 * signed-in tabs); the first cookie read (anonymous). Above the target, the target cannot be met
 * in that browser on that machine, whatever Baton does.
 */
export function floorForTarget(scenario: Scenario, floor: FloorResult): number {
  const at = (probe: FloorProbe) => median(floor[probe])
  if (isLone(scenario)) return at('lock, idb, sign, fetch') - at('fetch')
  return scenario.signedIn ? at('channel, a peer answers') : at('cookie')
}

/** What a missed target's failure line adds when the platform's own floor is above the target. */
export const floorAbove = (floorMs: number, targetMs: number): string =>
  floorMs > targetMs ? `this browser's floor for it: ${tenths(floorMs)} ms` : ''

/** The verdict column: met, missed, or missed where the platform's own floor is above the target. */
export function verdict(met: boolean, floorMs: number, targetMs: number): string {
  if (met) return 'met'
  return floorMs > targetMs ? 'MISSED (floor above target)' : 'MISSED'
}

/** One profile's table, its floor's, and the targets it missed. */
export function tabulate(
  profile: BrowserProfile,
  results: BootScenarioResult[],
  floor: FloorResult,
) {
  const failures: string[] = []
  const rows = results.map((r) => {
    const scenario = [...SCENARIOS, UNATTACHED].find((s) => s.id === r.scenario)!
    const boot = median(r.bootMs)
    const network = median(r.roundTrips.map((trip) => trip.network))
    const script = median(r.roundTrips.map((trip) => trip.script))
    const trips = r.roundTrips.length > 0
    let target: string
    let targetMs: number
    let met: boolean
    const lone = isLone(scenario)
    if (lone) {
      target = `≤ RTT + ${TARGETS.loneOverRtt} ms`
      targetMs = TARGETS.loneOverRtt
      met = boot <= script + TARGETS.loneOverRtt
    } else if (scenario.id === 'anonymous') {
      target = `≤ ${TARGETS.anonymous} ms, 0 requests`
      targetMs = TARGETS.anonymous
      met = boot <= TARGETS.anonymous && r.requests === 0
    } else {
      target = `≤ ${TARGETS.beside} ms, 0 refreshes`
      targetMs = TARGETS.beside
      met = boot <= TARGETS.beside && r.refreshes === 0
    }
    const floorMs = floorForTarget(scenario, floor)
    if (!met) {
      const above = floorAbove(floorMs, targetMs)
      const why = above && `; ${above}`
      const overRtt = lone ? `, ${tenths(boot - script)} ms over its round trip` : ''
      failures.push(
        `boot (${profile}): ${scenario.label}: median ${tenths(boot)} ms${overRtt} (${target}${why})`,
      )
    }
    if (r.unexpected.length > 0) {
      failures.push(
        `boot (${profile}): ${scenario.label}: ${r.unexpected.length} loads ended ${r.unexpected[0]}`,
      )
    }
    return [
      scenario.label,
      tenths(boot),
      tenths(percentile(r.bootMs, 95)),
      r.lockGrantedMs.length > 0 ? tenths(median(r.lockGrantedMs)) : null,
      r.firstRequestMs.length > 0 ? tenths(median(r.firstRequestMs)) : null,
      trips ? tenths(script) : null,
      trips ? tenths(network) : null,
      trips ? tenths(boot - script) : null,
      r.refreshes,
      r.requests,
      target,
      tenths(floorMs),
      verdict(met, floorMs, targetMs),
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
      'floor for the target ms',
      '',
    ],
    rows,
  )
  return {
    report: [`Tabs in ${PROFILE_LABELS[profile]}:`, '', table, '', floorTable(floor)].join('\n'),
    failures,
  }
}

/** The notes printed under the tables: how to read every column. */
export function bootNotes(
  samples: number,
  warmup: number,
  browser: string,
  kind: PageScript,
): string[] {
  const script =
    kind === 'module'
      ? 'a module script'
      : 'a classic deferred script (`BATON_BENCH_BOOT_SCRIPT=classic`)'
  return [
    `${samples} page loads per row after ${warmup} unmeasured ones, each in a new tab. The boot ` +
      `page loads its bundle as ${script}. Boot: the ` +
      `client script's first statement to the status leaving \`loading\` (performance.now() in ` +
      `the page). Refresh lock at: script start to the cross-tab refresh lock's grant (the ` +
      `lone tab's first Web Locks call). Refresh sent at: script start to the refresh ` +
      `request's start. Refresh RTT: ` +
      `\`fetch()\` called to the response body read in the page, the earliest any script could ` +
      `hold a token (the targets compare with it); on the wire: request start to response end ` +
      `(resource timing). The lone tab's RTT is its own boot refresh; beside signed-in tabs, one ` +
      `refresh by a signed-in tab after each load. Refreshes and requests: what reached the BFF ` +
      `during the measured loads. Browser: ${browser}, ` +
      `headless, loopback.`,
    `The platform's floor (\`floor.ts\`): fresh tabs of the same browser that run no Baton, ` +
      `timed from their script's start: a POST's round trip, the first Web Locks grant, the ` +
      `first IndexedDB open and read, and them in the order a lone tab bound to a device key ` +
      `needs them, with and without the proof's ECDSA signature; and the boot page itself, its ` +
      `script evaluated and the client created but not started, asking for its first lock where ` +
      `\`start()\` would; and one BroadcastChannel message answered by a tab already open, what ` +
      `a new tab beside signed-in ones needs at least. What the lone tab's boot takes beyond ` +
      `\`lock, idb, sign, fetch\`, and a tab beside signed-in ones beyond the channel's answer, ` +
      `is Baton's own work and what a real page's script costs. Floor for the target: what ` +
      `these pages need for what each target allows, in the target's terms: \`lock, idb, sign, ` +
      `fetch\` − \`fetch\` (lone tab, over its round trip), \`channel, a peer answers\` (beside ` +
      `signed-in tabs), \`cookie\` (anonymous), \`a heading on screen, after an answer\` (the ` +
      `demo). Where it is above the target, the row says so: no client can meet that target in ` +
      `this browser on this machine.`,
    `The demo (\`demo.ts\`): its production build and server, a signed-in user's dashboard ` +
      `loaded in a lone tab of each profile. Refresh sent and grant: navigation start to the ` +
      `refresh's request start and response end. After the grant: the page on screen (the ` +
      `dashboard's heading presented; once the refresh has left, the demo shows the page ` +
      `without the user's data, so with a slow enough answer this is negative), the ` +
      `signed-in dashboard in the DOM (React's commit of "Signed in as …"), the next animation ` +
      `frame, the end of the rendering update that painted "Signed in as …" (Element Timing's ` +
      `paintTime), that frame on screen (its renderTime, the presentation), the notes request ` +
      `leaving; and navigation → on screen, what the user waits for. The rows "refresh +50 ms" ` +
      `hold every refresh's answer back 50 ms in the demo server, a BFF one round trip away ` +
      `over a real network; they have no target. Target: on screen ` +
      `within one frame (16.7 ms) of the grant. The floor's last row is the same "on screen" ` +
      `for a page that adds one heading at a POST's answer and has nothing else to render.`,
  ]
}
