/**
 * @module
 * Server CPU per request (issue 15), not part of `pnpm bench`: Baton (memory store, as in
 * `servers/baton.ts`) and the floor side by side, loaded by `load.ts` in alternating windows as
 * the throughput bench does, while this process samples each server's CPU time (all its threads,
 * so WebCrypto's thread pool counts) from `/proc/<pid>/stat`. Where req/s can be capped by the
 * load generator, CPU µs per request is the server's own cost.
 * Run with `node --conditions=@baton/source --import tsx throughput/profile/cpu.ts [endpoint]
 * [windows]` (`refresh` by default).
 */
import { readFileSync } from 'node:fs'
import { bundleForNode } from '../../lib/bundle.js'
import { spawnTracked, stop, waitForLine } from '../../lib/processes.js'
import { median } from '../../lib/stats.js'
import type { Endpoint, LoadConfig, Stack, TargetResult } from '../load.js'

const endpoint = (process.argv[2] ?? 'refresh') as Endpoint
const windows = Number(process.argv[3] ?? 6)
/**
 * `CPU_SERVERS='baton=/tmp/a.mjs,baton=/tmp/b.mjs'` compares two prebuilt server bundles instead
 * (two builds of Baton, say), each named by the stack whose cookie it uses.
 */
const given = process.env.CPU_SERVERS?.split(',').map((pair) => pair.split('=') as [Stack, string])
const stacks: Stack[] = given?.map(([stack]) => stack) ?? ['baton', 'hono-floor']
/** Linux clock ticks per second (`getconf CLK_TCK`), 100 on every mainstream kernel. */
const TICK_MS = 10

/** User and system CPU time of `pid` so far, in ms. */
const cpuMs = (pid: number) => {
  // Fields after the command's closing parenthesis: utime is the 12th, stime the 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return { user: Number(fields[11]) * TICK_MS, system: Number(fields[12]) * TICK_MS }
}

const bundles = await bundleForNode({
  load: 'throughput/load.ts',
  baton: 'throughput/servers/baton.ts',
  'hono-floor': 'throughput/servers/hono-floor.ts',
})
const servers: Array<{ child: ReturnType<typeof spawnTracked>; port: number; pid: number }> = []
try {
  for (const [i, stack] of stacks.entries()) {
    const file = given ? given[i]![1] : bundles.files[stack]!
    // `CPU_PROFILE_DIR=/tmp/p`: each server also writes a V8 CPU profile there (`<stack>.cpuprofile`,
    // for `profile/summarise.ts`) when it exits; it slows the servers alike.
    const profile = process.env.CPU_PROFILE_DIR
    const flags = profile
      ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, `--cpu-prof-name=${stack}.cpuprofile`]
      : []
    const child = spawnTracked('taskset', ['-c', '0', process.execPath, ...flags, file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, BENCH_STORE: 'memory', NODE_ENV: 'production' },
    })
    const ready = await waitForLine<{ port: number; pid: number }>(child, 'READY ', 20_000)
    servers.push({ child, ...ready })
  }
  const samples: Array<{ at: number; cpu: Array<{ user: number; system: number }> }> = []
  const poll = setInterval(() => {
    samples.push({ at: Date.now(), cpu: servers.map((s) => cpuMs(s.pid)) })
  }, 20)
  const config: LoadConfig = {
    targets: stacks.map((stack, i) => ({ url: `http://127.0.0.1:${servers[i]!.port}`, stack })),
    endpoint,
    connections: 10,
    windows,
    window: 2,
    warmup: 1,
  }
  const loader = spawnTracked(
    'taskset',
    ['-c', '1', process.execPath, bundles.files.load!, JSON.stringify(config)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const results = await waitForLine<TargetResult[]>(loader, 'RESULT ', 300_000)
  clearInterval(poll)
  await stop(loader)
  const at = (time: number, i: number) =>
    samples.reduce((best, s) => (Math.abs(s.at - time) < Math.abs(best.at - time) ? s : best)).cpu[
      i
    ]!
  const perTarget = results.map((result, i) =>
    result.windows.map((w) => {
      const [start, end] = [at(w.startedAt, i), at(w.endedAt, i)]
      const user = end.user - start.user
      const system = end.system - start.system
      return {
        rate: w.requestsPerSec,
        cpuUs: ((user + system) * 1000) / w.requests,
        userUs: (user * 1000) / w.requests,
        systemUs: (system * 1000) / w.requests,
        busy: (user + system) / (w.endedAt - w.startedAt),
      }
    }),
  )
  perTarget.forEach((rows, i) => {
    const med = (pick: (r: (typeof rows)[number]) => number) => median(rows.map(pick))
    console.log(
      `${`${i}:${stacks[i]!}`.padEnd(13)} req/s ${Math.round(med((r) => r.rate))}  ` +
        `CPU µs/request ${med((r) => r.cpuUs).toFixed(0)} (user ${med((r) => r.userUs).toFixed(0)}, ` +
        `system ${med((r) => r.systemUs).toFixed(0)})  CPU busy ${(med((r) => r.busy) * 100).toFixed(0)} %`,
    )
  })
  const ratios = perTarget[0]!.map((r, k) => perTarget[1]![k]!.cpuUs / r.cpuUs)
  const rates = perTarget[0]!.map((r, k) => r.rate / perTarget[1]![k]!.rate)
  console.log(
    `0/1: req/s ${median(rates).toFixed(2)}, CPU per request 1/0 ${median(ratios).toFixed(2)}`,
  )
} finally {
  await Promise.all(servers.map((s) => stop(s.child)))
  bundles.remove()
}
