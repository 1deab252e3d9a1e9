/**
 * @module
 * What machine a result came from. Figures from a 2-core shared VM and from a laptop are not
 * comparable, so every result file and `BENCHMARKS.md` carry this.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism, release, totalmem } from 'node:os'

/** The machine and software a benchmark ran on. */
export interface MachineInfo {
  cpus: number
  cpuModel: string
  memoryGiB: number
  node: string
  os: string
  chromium: string | null
  redis: string | null
  commit: string | null
}

const run = (command: string, args: readonly string[]): string | null => {
  try {
    return execFileSync(command, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).trim()
  } catch {
    return null
  }
}

function cpuModel(): string {
  try {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
    return /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

/** The Chromium used by the storm benchmark. */
export const CHROMIUM_PATH = process.env.BATON_BENCH_CHROMIUM ?? '/usr/bin/chromium'

/**
 * Chromium features every benchmark turns off. Playwright launches Chromium with a
 * `--disable-features` list of its own (playwright-core 1.65's `chromiumSwitches.ts`), and Chromium
 * keeps only the last such switch, so that list comes first here, then Baton's:
 * - `WebUIOmniboxPopup`, `WebUIOmniboxAimPopup`: Chromium 156 builds the address bar's popup, a
 *   WebUI page in a renderer of its own, for every new window, and a page Playwright opens in a
 *   browser context that is not a persistent profile is a new window. That is 80-110 ms of a
 *   second renderer's CPU during every page load a benchmark measures, on a 2-core VM, which a
 *   user's browser spends once per window, not per page load (`BENCHMARKS.md` section 5).
 */
const DISABLED_FEATURES = [
  // Playwright's.
  'AvoidUnnecessaryBeforeUnloadCheckSync',
  'DestroyProfileOnBrowserClose',
  'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable',
  'LensOverlay',
  'MediaRouter',
  'PaintHolding',
  'ThirdPartyStoragePartitioning',
  'AvoidCorsURLLoaderRestartOnRedirect',
  'TcpPortRandomizationWin',
  'OptimizationHints',
  'NetworkTimeServiceQuerying',
  'AimEnabled',
  'PreconnectToSearch',
  // Baton's.
  'WebUIOmniboxPopup',
  'WebUIOmniboxAimPopup',
]

/** How every benchmark launches Chromium (issue #7): Debian's, headless, never a downloaded one. */
export const CHROMIUM_LAUNCH = {
  executablePath: CHROMIUM_PATH,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    `--disable-features=${DISABLED_FEATURES.join(',')}`,
  ],
}

/** Collects the machine description (a few short subprocesses). */
export function machineInfo(): MachineInfo {
  // Debian's wrapper script prints a shell warning before the version on some systems.
  const chromium = run(CHROMIUM_PATH, ['--version'])
    ?.split('\n')
    .find((l) => /\d+\.\d+/.test(l))
  const redis = run('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'INFO', 'server'])
  const head = run('git', ['rev-parse', '--short', 'HEAD'])
  const dirty = run('git', ['status', '--porcelain'])
  return {
    cpus: availableParallelism(),
    cpuModel: cpuModel(),
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${process.platform} ${release()}`,
    chromium: chromium?.trim() ?? null,
    redis: redis ? (/^redis_version:(.+)$/m.exec(redis)?.[1]?.trim() ?? null) : null,
    commit: head ? `${head}${dirty ? ' (with uncommitted changes)' : ''}` : null,
  }
}

/** One line for a report header. */
export const describeMachine = (m: MachineInfo) =>
  [
    `${m.cpus} CPUs (${m.cpuModel})`,
    `${m.memoryGiB} GiB RAM`,
    `Node ${m.node}`,
    m.chromium ?? 'no Chromium',
    m.redis ? `Redis ${m.redis}` : 'no Redis',
    m.os,
    m.commit ? `commit ${m.commit}` : null,
  ]
    .filter((part) => part !== null)
    .join(', ')
