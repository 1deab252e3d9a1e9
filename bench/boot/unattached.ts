/**
 * @module
 * The lone tab's boot in a browser no automation is attached to (issue 18). Playwright drives
 * every other row over the DevTools protocol, attached to each page it opens, and that costs
 * the page's start something a user's browser never pays (the refresh lock's grant came 2–4 ms
 * later with it: BENCHMARKS 5). Here Chromium is started on its own, without a debugging port,
 * on a driver page of the boot server (`/boot/driver`); the driver opens the sign-in tab and
 * then each measured load as a new window (`noopener`: a page of its own, as a new tab is), one
 * at a time, and each of those pages posts its `bootResult` to the server and closes itself.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as pause } from 'node:timers/promises'
import { CHROMIUM_LAUNCH, CHROMIUM_PATH } from '../lib/machine.js'
import { spawnTracked, stop } from '../lib/processes.js'
import type { BrowserProfile } from './browser.js'
import type { BootScenarioResult } from './report.js'
import type { BootServer } from './server.js'

const TIMEOUT_MS = 120_000

/** Resolves once `server` holds `count` reports; throws once `deadline` has passed. */
async function reported(server: BootServer, count: number, deadline: number): Promise<void> {
  while (server.reports.length < count) {
    if (Date.now() > deadline) {
      throw new Error(
        `boot, no automation attached: ${server.reports.length} of ${count} loads reported in ${TIMEOUT_MS / 1000} s`,
      )
    }
    await pause(20)
  }
}

/**
 * Removes the browser's profile directory. Its helper processes (the crash handler among them)
 * outlive the browser by a moment and may still write there, so it is tried again for a while.
 */
async function removeProfile(dir: string): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      rmSync(dir, { recursive: true, force: true })
      return
    } catch (error) {
      if (tries === 50) throw error
      await pause(100)
    }
  }
}

/**
 * A signed-in user's lone tab, loaded `warmup + samples` times in a Chromium of `profile`'s kind
 * (`fresh`: an off-the-record window, `--incognito`; `profile`: a new on-disk profile) that no
 * automation is attached to.
 */
export async function measureUnattached(
  server: BootServer,
  profile: BrowserProfile,
  samples: number,
  warmup: number,
): Promise<BootScenarioResult> {
  server.reports.length = 0
  const dir = mkdtempSync(join(tmpdir(), 'baton-boot-unattached-'))
  const chromium = spawnTracked(
    CHROMIUM_PATH,
    [
      '--headless',
      `--user-data-dir=${dir}`,
      ...(profile === 'fresh' ? ['--incognito'] : []),
      ...CHROMIUM_LAUNCH.args,
      // The driver opens each load with window.open() from a timer, not from a click.
      '--disable-popup-blocking',
      `${server.origin}/boot/driver?loads=${warmup + samples}`,
    ],
    { stdio: 'ignore' },
  )
  try {
    const deadline = Date.now() + TIMEOUT_MS
    // The sign-in, then the unmeasured loads: what the BFF saw before the measured ones.
    await reported(server, 1 + warmup, deadline)
    const before = { ...server.counts }
    await reported(server, 1 + warmup + samples, deadline)
    const loads = server.reports.slice(1 + warmup)
    return {
      scenario: 'lone-unattached',
      bootMs: loads.map((load) => load.bootMs),
      firstRequestMs: loads.flatMap((load) =>
        load.firstRequestMs === null ? [] : [load.firstRequestMs],
      ),
      lockGrantedMs: loads.flatMap((load) =>
        load.lockGrantedMs === null ? [] : [load.lockGrantedMs],
      ),
      roundTrips: loads.flatMap((load) => load.refreshes),
      refreshes: server.counts.refreshes - before.refreshes,
      requests: server.counts.requests - before.requests,
      unexpected: loads
        .filter((load) => load.status !== 'authenticated' || load.source !== 'local')
        .map((load) => `${load.status} from ${String(load.source)}`),
    }
  } finally {
    await stop(chromium)
    await removeProfile(dir)
  }
}
