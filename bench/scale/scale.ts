/**
 * @module
 * Scale: memory per idle session (memory store and Redis, at 10k and 100k sessions) and refresh
 * latency with 10 versus 100k sessions present. Each store is measured by `worker.ts` in a fresh
 * process, one after the other, so they do not compete for the two cores.
 */
import { connect } from 'node:net'
import { join } from 'node:path'
import type { Benchmark, BenchmarkOutcome, BenchSettings } from '../lib/benchmark.js'
import { BENCH_DIR, spawnTracked, stop, tsNodeArgs, waitForLine } from '../lib/processes.js'
import { benchPrefix, cleanUpPrefix, redisUnavailable } from '../lib/redis.js'
import { ratio } from '../lib/stats.js'
import { formatNumber, formatTable } from '../lib/table.js'

interface Latency {
  count: number
  p50: number
  p99: number
  mean: number
}

/** What `worker.ts` prints. */
export interface ScaleResult {
  store: 'memory' | 'redis'
  measure: string
  perSession: Record<string, number>
  totalBytes: Record<string, number>
  sampleKeyBytes: { sessionKey: number; userIndexKey: number } | null
  refresh: Record<string, Latency>
}

const SMALL = 10_000
const LARGE = 100_000

/** Sessions present for the second measurement; `BATON_BENCH_SCALE_LARGE` raises it (1,000,000). */
const LARGE_FROM_ENV = Number(process.env.BATON_BENCH_SCALE_LARGE ?? LARGE)

async function measure(
  store: 'memory' | 'redis' | 'postgres',
  refreshes: number,
  large: number,
): Promise<ScaleResult> {
  const prefix = benchPrefix('scale')
  const worker = spawnTracked(
    process.execPath,
    tsNodeArgs(join(BENCH_DIR, 'scale/worker.ts'), ['--expose-gc']).concat([
      store,
      prefix,
      String(refreshes),
      String(SMALL),
      String(large),
    ]),
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  try {
    // A million rows take minutes to write and index on a small machine.
    return await waitForLine<ScaleResult>(worker, 'RESULT ', Math.max(180_000, large * 0.5))
  } finally {
    await stop(worker)
    if (store === 'redis') await cleanUpPrefix(prefix)
  }
}

/** `null` when PostgreSQL answers, else why not. */
async function postgresUnavailable(): Promise<string | null> {
  const url = new URL(
    process.env.BATON_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  )
  return new Promise((resolve) => {
    const socket = connect(Number(url.port || 5432), url.hostname)
    socket.setTimeout(1_000)
    socket.once('connect', () => {
      socket.destroy()
      resolve(null)
    })
    const fail = (why: string) => () => {
      socket.destroy()
      resolve(`no PostgreSQL at ${url.host} (${why})`)
    }
    socket.once('error', (error) => fail(error.message)())
    socket.once('timeout', fail('timeout'))
  })
}

async function runScale(settings: BenchSettings): Promise<BenchmarkOutcome> {
  const refreshes = settings.quick ? 500 : 2_000
  const large = settings.quick ? 30_000 : LARGE_FROM_ENV
  const results: ScaleResult[] = []
  const skipped: string[] = []

  settings.log(`scale: memory store, ${SMALL}/${large} sessions, ${refreshes} refreshes`)
  results.push(await measure('memory', refreshes, large))
  const noRedis = await redisUnavailable()
  if (noRedis) {
    skipped.push(`Redis rows skipped: ${noRedis}`)
  } else {
    settings.log(`scale: Redis store, ${SMALL}/${large} sessions, ${refreshes} refreshes`)
    results.push(await measure('redis', refreshes, large))
  }
  const noPostgres = await postgresUnavailable()
  if (noPostgres) {
    skipped.push(`PostgreSQL rows skipped: ${noPostgres}`)
  } else {
    settings.log(`scale: PostgreSQL store, ${SMALL}/${large} sessions, ${refreshes} refreshes`)
    results.push(await measure('postgres', refreshes, large))
  }

  const memory = formatTable(
    [
      'store',
      'measured as',
      `bytes/session @ ${formatNumber(SMALL)}`,
      `bytes/session @ ${formatNumber(large)}`,
      'MEMORY USAGE session key',
      'MEMORY USAGE user index',
    ],
    results.map((r) => [
      r.store,
      r.measure,
      Math.round(r.perSession[SMALL]!),
      Math.round(r.perSession[large]!),
      r.sampleKeyBytes?.sessionKey ?? null,
      r.sampleKeyBytes?.userIndexKey ?? null,
    ]),
  )
  const latency = formatTable(
    [
      'store',
      'refreshes',
      'p50 ms @ 10',
      `p50 ms @ ${formatNumber(large)}`,
      'p99 ms @ 10',
      `p99 ms @ ${formatNumber(large)}`,
      `p50 ratio ${formatNumber(large)}/10`,
    ],
    results.map((r) => {
      const small = r.refresh.sessions10!
      const big = r.refresh[`sessions${large}`]!
      return [
        r.store,
        small.count,
        small.p50,
        big.p50,
        small.p99,
        big.p99,
        ratio(big.p50, small.p50),
      ]
    }),
  )
  const report = [
    'Memory per idle session:',
    '',
    memory,
    '',
    'Refresh latency (sequential, in process through `createBff().request()`), 10 vs ' +
      `${formatNumber(large)} sessions present:`,
    '',
    latency,
    ...skipped.map((s) => `\n${s}.`),
  ].join('\n')
  return { report, data: { sessions: [SMALL, large], refreshes, results, skipped }, failures: [] }
}

/** The scale benchmark. */
export const scaleBenchmark: Benchmark = {
  name: 'scale',
  title: 'Scale: memory per session, refresh latency with many sessions',
  run: runScale,
}
