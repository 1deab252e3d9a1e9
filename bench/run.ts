/**
 * @module
 * `pnpm bench [storm|throughput|size|scale|flood|boot|dpop ...] [--quick]`: runs the benchmarks (all seven by
 * default), prints their tables to stdout, writes `results/<name>.json` and `results/summary.md`,
 * and exits non-zero when a budget is exceeded or a benchmark fails. Progress goes to stderr.
 *
 * Every process a benchmark starts is stopped before the runner exits, also on failure and on
 * Ctrl-C.
 */
import { bootBenchmark } from './boot/boot.js'
import { dpopBenchmark } from './dpop/dpop.js'
import type { Benchmark, BenchmarkOutcome } from './lib/benchmark.js'
import { describeMachine, machineInfo } from './lib/machine.js'
import { stopAll } from './lib/processes.js'
import { cleanUpAll, cleanUpOrphans, redisUnavailable } from './lib/redis.js'
import { writeResult, writeText } from './lib/results.js'
import { floodBenchmark } from './flood/flood.js'
import { scaleBenchmark } from './scale/scale.js'
import { sizeBenchmark } from './size/size.js'
import { stormBenchmark } from './storm/storm.js'
import { throughputBenchmark } from './throughput/throughput.js'

const BENCHMARKS: readonly Benchmark[] = [
  stormBenchmark,
  throughputBenchmark,
  sizeBenchmark,
  scaleBenchmark,
  floodBenchmark,
  bootBenchmark,
  dpopBenchmark,
]

const USAGE = `usage: pnpm bench [${BENCHMARKS.map((b) => b.name).join('|')} ...] [--quick]
  no name runs all seven; --quick shortens every run (to try the bench out, not for figures)`

function parseArgs(argv: readonly string[]) {
  const names = argv.filter((arg) => !arg.startsWith('-'))
  const flags = argv.filter((arg) => arg.startsWith('-'))
  if (flags.some((flag) => flag === '--help' || flag === '-h')) {
    console.log(USAGE)
    process.exit(0)
  }
  const unknown = [
    ...names.filter((name) => !BENCHMARKS.some((b) => b.name === name)),
    ...flags.filter((flag) => flag !== '--quick'),
  ]
  if (unknown.length > 0) {
    console.error(`unknown argument(s): ${unknown.join(' ')}\n${USAGE}`)
    process.exit(2)
  }
  const selected =
    names.length === 0 ? BENCHMARKS : BENCHMARKS.filter((b) => names.includes(b.name))
  return { selected, quick: flags.includes('--quick') }
}

// pnpm passes a literal "--" before the script's arguments on some versions.
const { selected, quick } = parseArgs(process.argv.slice(2).filter((arg) => arg !== '--'))

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n[bench] ${signal}: stopping every process the bench started`)
    void stopAll()
      .then(cleanUpAll)
      .finally(() => process.exit(130))
  })
}

const machine = machineInfo()
if ((await redisUnavailable()) === null) {
  const orphans = await cleanUpOrphans()
  if (orphans > 0) console.error(`[bench] deleted ${orphans} Redis keys left by an interrupted run`)
}
const started = Date.now()
const log = (message: string) =>
  console.error(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}`)
const failures: string[] = []
const sections: string[] = []

console.log(`# Baton benchmarks, ${new Date().toISOString()}${quick ? ' (--quick)' : ''}`)
console.log(`\nMachine: ${describeMachine(machine)}\n`)

for (const benchmark of selected) {
  log(`${benchmark.name}: start`)
  const benchStarted = Date.now()
  let outcome: BenchmarkOutcome
  try {
    outcome = await benchmark.run({ machine, log, quick })
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error)
    outcome = { report: `Failed: ${message}`, data: { error: message }, failures: [] }
    failures.push(`${benchmark.name} failed: ${message.split('\n')[0]}`)
  } finally {
    await stopAll()
  }
  failures.push(...outcome.failures)
  const seconds = Math.round((Date.now() - benchStarted) / 1000)
  const section = `## ${benchmark.title}\n\n${outcome.report}\n\n_(${benchmark.name}: ${seconds} s)_\n`
  sections.push(section)
  console.log(section)
  writeResult(benchmark.name, machine, { quick, seconds, ...outcome.data })
}

const total = Math.round((Date.now() - started) / 1000)
const verdict =
  failures.length === 0
    ? `All benchmarks passed in ${total} s.`
    : `FAILED (${total} s):\n${failures.map((f) => `- ${f}`).join('\n')}`
writeText(
  'summary.md',
  [
    `# Baton benchmarks, ${new Date(started).toISOString()}${quick ? ' (--quick)' : ''}`,
    '',
    `Machine: ${describeMachine(machine)}`,
    '',
    ...sections,
    verdict,
    '',
  ].join('\n'),
)
console.log(verdict)
log('results written to bench/results/')
process.exit(failures.length === 0 ? 0 : 1)
