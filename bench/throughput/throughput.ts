/**
 * @module
 * BFF throughput: `POST /auth/refresh` (a fresh token on every request) and `GET /api/me` (JWT
 * verification) for Baton with the memory and the Redis store, next to the seed articles' stacks:
 * Express + jsonwebtoken with a revocation set, and express-session + connect-redis.
 *
 * Servers and the load generator are bundled with esbuild and run with plain `node`, each in its
 * own process. For each endpoint, Baton and its baseline run side by side (fresh processes), and
 * one load generator alternates between them in short windows (A B B A A B…), so each Baton window
 * has a baseline window next to it in time and their ratio is taken under the same conditions.
 * When `taskset` exists, the servers are pinned to CPU 0 and the load generator to CPU 1, so on a
 * 2-core machine each side gets one core rather than fighting over both.
 */
import { spawnSync } from 'node:child_process'
import { availableParallelism } from 'node:os'
import type { Benchmark, BenchmarkOutcome, BenchSettings } from '../lib/benchmark.js'
import { bundleForNode } from '../lib/bundle.js'
import { peakRss, spawnTracked, stop, waitForLine } from '../lib/processes.js'
import { benchPrefix, cleanUpPrefix, redisUnavailable } from '../lib/redis.js'
import { median, ratio } from '../lib/stats.js'
import { formatTable } from '../lib/table.js'
import type { Endpoint, LoadConfig, Stack, TargetResult, WindowResult } from './load.js'

interface Target {
  id: string
  label: string
  stack: Stack
  store: 'memory' | 'redis'
}

const BATON_MEMORY: Target = {
  id: 'baton-memory',
  label: 'Baton, memory store',
  stack: 'baton',
  store: 'memory',
}
const HONO_FLOOR: Target = {
  id: 'hono-floor',
  label: 'Floor: bare Hono + jose, token in a Map',
  stack: 'hono-floor',
  store: 'memory',
}
const EXPRESS_JWT: Target = {
  id: 'express-jwt',
  label: 'Express + jsonwebtoken + revocation Set',
  stack: 'express-jwt',
  store: 'memory',
}
const BATON_REDIS: Target = {
  id: 'baton-redis',
  label: 'Baton, Redis store',
  stack: 'baton',
  store: 'redis',
}
const EXPRESS_SESSION: Target = {
  id: 'express-session',
  label: 'express-session + connect-redis',
  stack: 'express-session',
  store: 'redis',
}

/** Baton and the baseline it is compared with. */
const PAIRS: ReadonlyArray<readonly [Target, Target]> = [
  [BATON_MEMORY, HONO_FLOOR],
  [BATON_MEMORY, EXPRESS_JWT],
  [BATON_REDIS, EXPRESS_SESSION],
]
const ENDPOINTS: readonly Endpoint[] = ['refresh', 'me']
const BASELINES: Record<string, Target> = {
  floor: HONO_FLOOR,
  'express-jwt': EXPRESS_JWT,
  'express-session': EXPRESS_SESSION,
}

/**
 * A subset for iterating on one figure (never for published tables): `BATON_BENCH_ENDPOINTS`
 * (`refresh`, `me`) and `BATON_BENCH_BASELINES` (`floor`, `express-jwt`, `express-session`),
 * comma-separated; unset means all. `BATON_BENCH_WINDOWS` sets the windows per server.
 */
function subset(variable: string, known: readonly string[]): ReadonlySet<string> | null {
  const raw = process.env[variable]?.trim()
  if (!raw) return null
  const names = raw.split(',').map((name) => name.trim())
  const unknown = names.filter((name) => !known.includes(name))
  if (unknown.length > 0) {
    throw new TypeError(`${variable}: unknown ${unknown.join(', ')} (known: ${known.join(', ')})`)
  }
  return new Set(names)
}
const ENDPOINT_LABEL: Record<Endpoint, string> = {
  refresh: 'POST /auth/refresh',
  me: 'GET /api/me',
}
const CONNECTIONS = 10
/** Issue 15: Baton's req/s over the floor's, memory store, in one run. */
const FLOOR_TARGET: Record<Endpoint, number> = { refresh: 1.0, me: 2.0 }

interface Timing {
  windows: number
  window: number
  warmup: number
}

/** Everything measured for one server on one endpoint. */
export interface TargetMeasurement extends TargetResult {
  target: string
  /** Index in PAIRS: Baton is measured afresh next to each baseline. */
  pair: number
  endpoint: Endpoint
  peakRssBytes: number
}

const hasTaskset = () =>
  availableParallelism() >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0

async function startServer(target: Target, file: string, pin: boolean) {
  const prefix = benchPrefix(`throughput-${target.id}`)
  const args = pin ? ['-c', '0', process.execPath, file] : [file]
  const child = spawnTracked(pin ? 'taskset' : process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      BENCH_STORE: target.store,
      BENCH_REDIS_PREFIX: prefix,
      NODE_ENV: 'production',
    },
  })
  const close = async () => {
    await stop(child)
    if (target.store === 'redis') await cleanUpPrefix(prefix)
  }
  try {
    // taskset execs node, so the pid is the server's own.
    const ready = await waitForLine<{ port: number; pid: number }>(child, 'READY ', 20_000)
    return { ...ready, close }
  } catch (error) {
    await close()
    throw error
  }
}

/** Starts both servers of a pair, loads them in alternating windows, stops them. */
async function measurePair(
  pair: readonly [Target, Target],
  pairIndex: number,
  endpoint: Endpoint,
  files: Record<string, string>,
  timing: Timing,
  pin: boolean,
): Promise<TargetMeasurement[]> {
  const servers: Array<Awaited<ReturnType<typeof startServer>>> = []
  try {
    for (const target of pair) servers.push(await startServer(target, files[target.stack]!, pin))
    const config: LoadConfig = {
      targets: pair.map((target, i) => ({
        url: `http://127.0.0.1:${servers[i]!.port}`,
        stack: target.stack,
      })),
      endpoint,
      connections: CONNECTIONS,
      ...timing,
    }
    const args = [files.load!, JSON.stringify(config)]
    const loader = spawnTracked(
      pin ? 'taskset' : process.execPath,
      pin ? ['-c', '1', process.execPath, ...args] : args,
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    try {
      const seconds = pair.length * (timing.warmup + timing.windows * timing.window)
      const results = await waitForLine<TargetResult[]>(loader, 'RESULT ', seconds * 1_000 + 60_000)
      return pair.map((target, i) => ({
        target: target.id,
        pair: pairIndex,
        endpoint,
        ...results[i]!,
        peakRssBytes: peakRss(servers[i]!.pid),
      }))
    } finally {
      await stop(loader)
    }
  } finally {
    await Promise.all(servers.map((server) => server.close()))
  }
}

const mb = (bytes: number) => Math.round((bytes / 1024 ** 2) * 10) / 10

async function runThroughput(settings: BenchSettings): Promise<BenchmarkOutcome> {
  const timing: Timing = settings.quick
    ? { windows: 2, window: 1, warmup: 1 }
    : { windows: 6, window: 2, warmup: 1 }
  // More windows narrow the ratio's spread when iterating on one figure.
  const windows = Number(process.env.BATON_BENCH_WINDOWS ?? timing.windows)
  if (!Number.isInteger(windows) || windows < 1) {
    throw new TypeError('BATON_BENCH_WINDOWS: a positive whole number of windows')
  }
  timing.windows = windows
  const pin = hasTaskset()
  const noRedis = await redisUnavailable()
  const onlyEndpoints = subset('BATON_BENCH_ENDPOINTS', ENDPOINTS)
  const onlyBaselines = subset('BATON_BENCH_BASELINES', Object.keys(BASELINES))
  const endpoints = ENDPOINTS.filter((endpoint) => onlyEndpoints?.has(endpoint) ?? true)
  const pairs = PAIRS.filter(
    ([, baseline]) =>
      (baseline.store === 'memory' || noRedis === null) &&
      (onlyBaselines === null ||
        Object.entries(BASELINES).some(([name, t]) => t === baseline && onlyBaselines.has(name))),
  )

  const bundles = await bundleForNode({
    load: 'throughput/load.ts',
    baton: 'throughput/servers/baton.ts',
    'hono-floor': 'throughput/servers/hono-floor.ts',
    'express-jwt': 'throughput/servers/express-jwt.ts',
    'express-session': 'throughput/servers/express-session.ts',
  })
  const measurements: TargetMeasurement[] = []
  try {
    for (const endpoint of endpoints) {
      for (const pair of pairs) {
        settings.log(
          `throughput: ${ENDPOINT_LABEL[endpoint]}, ${pair[0].label} vs ${pair[1].label}`,
        )
        const index = PAIRS.indexOf(pair)
        measurements.push(...(await measurePair(pair, index, endpoint, bundles.files, timing, pin)))
      }
    }
  } finally {
    bundles.remove()
  }

  const find = (pair: readonly [Target, Target], target: Target, endpoint: Endpoint) =>
    measurements.find(
      (m) => m.pair === PAIRS.indexOf(pair) && m.target === target.id && m.endpoint === endpoint,
    )!
  const over = (m: TargetMeasurement, pick: (w: WindowResult) => number) =>
    median(m.windows.map(pick))
  /** Baton / baseline for each pair of neighbouring windows, then the median. */
  const windowRatio = (
    baton: TargetMeasurement,
    baseline: TargetMeasurement,
    pick: (w: WindowResult) => number,
  ) => median(baton.windows.map((w, k) => ratio(pick(w), pick(baseline.windows[k]!))))

  const rows = endpoints.flatMap((endpoint) =>
    pairs.flatMap((pair) => {
      const [baton, baseline] = pair
      const b = find(pair, baton, endpoint)
      const base = find(pair, baseline, endpoint)
      return [b, base].map((m) => {
        const rates = m.windows.map((w) => w.requestsPerSec)
        const isBaton = m === b
        return [
          ENDPOINT_LABEL[endpoint],
          (isBaton ? baton : baseline).label,
          median(rates),
          `${Math.round(Math.min(...rates))}–${Math.round(Math.max(...rates))}`,
          over(m, (w) => w.p50),
          over(m, (w) => w.p99),
          mb(m.peakRssBytes),
          m.windows.reduce((n, w) => n + w.non2xx + w.errors, 0),
          isBaton ? windowRatio(b, base, (w) => w.requestsPerSec) : null,
          isBaton ? windowRatio(b, base, (w) => w.p99) : null,
        ]
      })
    }),
  )
  const table = formatTable(
    [
      'endpoint',
      'server',
      'req/s',
      'req/s min–max',
      'p50 ms',
      'p99 ms',
      'peak RSS MB',
      'non-2xx + errors',
      'req/s Baton/baseline',
      'p99 Baton/baseline',
    ],
    rows,
  )
  // Issue 15's targets, against the floor in the same run.
  const floorPair = pairs.find(([, baseline]) => baseline === HONO_FLOOR)
  const targets = floorPair
    ? endpoints.map((endpoint) => {
        const wanted = FLOOR_TARGET[endpoint]
        const got = windowRatio(
          find(floorPair, BATON_MEMORY, endpoint),
          find(floorPair, HONO_FLOOR, endpoint),
          (w) => w.requestsPerSec,
        )
        return { endpoint, wanted, got, met: got >= wanted }
      })
    : []
  const failed = measurements.filter((m) => m.windows.some((w) => w.non2xx + w.errors > 0))
  const notes = [
    ...targets.map(
      (t) =>
        `Target: ${ENDPOINT_LABEL[t.endpoint]}, Baton (memory store) ≥ ${t.wanted.toFixed(1)}× ` +
        `the floor's req/s: ${t.got.toFixed(2)}×, ${t.met ? 'met' : 'NOT met'}.`,
    ),
    'Baton runs with every protection on: per-IP rate limits (each load-generator session has ' +
      'its own client IP, sent as X-Forwarded-For to a server with trustProxy: 1, so the ' +
      'limiter counts every request but never refuses one), anomaly detection (one constant ' +
      'User-Agent), DPoP if_supported (no proofs are sent: unbound sessions), the revocation ' +
      'epoch and session limits.',
    `${timing.windows} windows of ${timing.window} s per server and endpoint, alternating with ` +
      `its pair (A B B A…), after ${timing.warmup} s of warm-up each; ${CONNECTIONS} connections, ` +
      `pipelining 1, loopback. Figures are medians over the windows; ratios are taken between ` +
      `neighbouring windows (Baton memory vs the floor and vs Express + jsonwebtoken, each ` +
      `measured afresh; Baton Redis vs express-session), then their median.`,
    pin
      ? 'Servers pinned to CPU 0 and the load generator to CPU 1 (taskset).'
      : 'Servers and load generator not pinned (taskset missing or a single CPU).',
    ...(noRedis ? [`Redis rows skipped: ${noRedis}.`] : []),
  ]
  return {
    report: [table, '', ...notes].join('\n'),
    data: {
      ...timing,
      connections: CONNECTIONS,
      pinned: pin,
      skipped: noRedis ? [noRedis] : [],
      targets,
      measurements,
      table: rows,
    },
    failures: failed.map(
      (m) => `throughput: ${m.target} answered non-2xx or failed on ${ENDPOINT_LABEL[m.endpoint]}`,
    ),
  }
}

/** The throughput benchmark. */
export const throughputBenchmark: Benchmark = {
  name: 'throughput',
  title: 'BFF throughput',
  run: runThroughput,
}
