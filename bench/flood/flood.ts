/**
 * @module
 * `pnpm bench flood`: a credential-stuffing flood against `POST /auth/login` (32 connections of
 * wrong passwords for ever-new usernames, each costing an scrypt hash), with Baton's rate limits
 * off and on, measured in the same run: how many attempts per second the server answers (and how
 * many of them cost a hash: the 401s), and how long the real user's own sign-in takes meanwhile,
 * from an address of their own. A third row floods from a new address per request (a botnet): the
 * per-address budget cannot stop it, and only the cap on concurrent `authenticate` calls bounds
 * the work.
 */
import type { Benchmark } from '../lib/benchmark.js'
import { spawnTracked, stop, tsNodeArgs, waitForLine } from '../lib/processes.js'
import { median, percentile } from '../lib/stats.js'
import { formatTable, type Cell } from '../lib/table.js'
import type { FloodConfig, FloodResult } from './load.js'

const CONNECTIONS = 32
const HERE = new URL('.', import.meta.url).pathname

interface Scenario {
  label: string
  limits: 'on' | 'off'
  connections: number
  floodFrom: string
}

const SCENARIOS: readonly Scenario[] = [
  { label: 'no flood, limits on (baseline)', limits: 'on', connections: 0, floodFrom: '' },
  {
    label: 'flood from one address, limits off',
    limits: 'off',
    connections: CONNECTIONS,
    floodFrom: '198.51.100.1',
  },
  {
    label: 'flood from one address, limits on',
    limits: 'on',
    connections: CONNECTIONS,
    floodFrom: '198.51.100.1',
  },
  {
    label: 'flood from many addresses, limits on',
    limits: 'on',
    connections: CONNECTIONS,
    floodFrom: 'many',
  },
]

async function measure(scenario: Scenario, seconds: number): Promise<FloodResult> {
  const server = spawnTracked(process.execPath, tsNodeArgs(`${HERE}server.ts`), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BENCH_LIMITS: scenario.limits, NODE_ENV: 'production' },
  })
  try {
    const { port } = await waitForLine<{ port: number }>(server, 'READY ', 20_000)
    const config: FloodConfig = {
      url: `http://127.0.0.1:${port}`,
      connections: scenario.connections,
      seconds,
      floodFrom: scenario.floodFrom,
    }
    const loader = spawnTracked(
      process.execPath,
      tsNodeArgs(`${HERE}load.ts`, []).concat(JSON.stringify(config)),
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    try {
      return await waitForLine<FloodResult>(loader, 'RESULT ', seconds * 1_000 + 60_000)
    } finally {
      await stop(loader)
    }
  } finally {
    await stop(server)
  }
}

export const floodBenchmark: Benchmark = {
  name: 'flood',
  title: 'Credential-stuffing flood: login throughput and a real login’s latency',
  async run({ log, quick }) {
    const seconds = quick ? 4 : 12
    const rows: Cell[][] = []
    const data: Record<string, unknown> = { connections: CONNECTIONS, seconds }
    const failures: string[] = []
    for (const scenario of SCENARIOS) {
      log(`flood: ${scenario.label} (${seconds} s)`)
      const result = await measure(scenario, seconds)
      data[scenario.label] = result
      const ok = result.legitStatuses.filter((status) => status === 200).length
      rows.push([
        scenario.label,
        scenario.connections === 0 ? null : result.floodPerSec,
        scenario.connections === 0 ? null : result.flood401 / seconds,
        scenario.connections === 0 ? null : result.flood429,
        median(result.legitMs),
        percentile(result.legitMs, 99),
        `${ok}/${result.legitStatuses.length}`,
      ])
      if (scenario.floodFrom !== 'many' && ok !== result.legitStatuses.length) {
        failures.push(`flood: the real user was refused (${scenario.label})`)
      }
    }
    const table = formatTable(
      [
        'scenario',
        'flood answers/s',
        'hashes/s (401)',
        'flood 429s',
        'real login p50 ms',
        'real login p99 ms',
        'real logins ok',
      ],
      rows,
    )
    const note =
      `${CONNECTIONS} keep-alive connections post wrong passwords for new usernames for ${seconds} s ` +
      'while the real user signs in with the right password every 100 ms from another address ' +
      '(both through `X-Forwarded-For`, `trustProxy: 1`). `authenticate` is scrypt (N=2^14, r=8) ' +
      'on libuv’s 4 threads. Limits on are the defaults: 20 attempts per address and minute, ' +
      '5 per username and network before the progressive delay, 4 concurrent `authenticate` calls ' +
      'with 256 waiting at most 5 s. From many addresses the per-address budget never trips; the ' +
      'real login then waits its turn among the flood’s hashes, and past the queue it is refused ' +
      'with 429 like any other sign-in.'
    return { report: `${table}\n\n${note}`, data, failures }
  },
}
