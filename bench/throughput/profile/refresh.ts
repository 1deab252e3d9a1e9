/**
 * @module
 * Profiling aid for the refresh path (issue 15), not part of `pnpm bench`: Baton's memory-store
 * BFF configured as in `servers/baton.ts`, driven in process (`app.request`, no sockets) by 10
 * concurrent rotation chains over 2,000 sessions with their own client IPs, for `SECONDS`.
 * Run with `node --conditions=@baton/source --import tsx throughput/profile/refresh.ts [out]`: with
 * `out`, the refreshes (not the logins before them) are profiled into `out` (a `.cpuprofile`),
 * which `profile/summarise.ts` summarises.
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { createBff, createSigningKeys, memoryStore, REFRESH_COOKIE } from '@baton/bff'
import { Hono } from 'hono'

const SECONDS = Number(process.env.SECONDS ?? 8)
const APP_ORIGIN = 'http://localhost:5173'
const store = memoryStore()
const app = new Hono()
app.route(
  '/',
  createBff({
    keys: createSigningKeys({ logger: { warn() {} } }),
    store,
    allowedOrigins: [APP_ORIGIN],
    trustProxy: 1,
    authenticate: async ({ username }) => ({ id: username }),
    logger: { warn() {}, error: (...args: unknown[]) => console.error(...args) },
  }),
)
// Without a socket, trustProxy: 1 has no peer to start from; the env gives one.
const env = { incoming: { socket: { remoteAddress: '127.0.0.1' } } }
const base = { 'x-csrf': '1', origin: APP_ORIGIN, 'user-agent': 'baton-bench/1.0' }
const cookieOf = (res: Response) =>
  res.headers
    .getSetCookie()
    .map((line) => line.split(';')[0]!)
    .find((pair) => pair.startsWith(`${REFRESH_COOKIE}=`))

const pool: Array<{ cookie: string; ip: string }> = []
for (let i = 0; i < 2_000; i++) {
  const ip = `10.${(i >> 8) & 255}.${i & 255}.7`
  const res = await app.request(
    '/auth/login',
    {
      method: 'POST',
      headers: { ...base, 'x-forwarded-for': ip, 'content-type': 'application/json' },
      body: JSON.stringify({ username: `bench-${i}`, password: 'bench' }),
    },
    env,
  )
  const cookie = cookieOf(res)
  if (!res.ok || !cookie) throw new Error(`login ${res.status}: ${await res.text()}`)
  pool.push({ cookie, ip })
}

const out = process.argv[2]
const inspector = new Session()
if (out) {
  inspector.connect()
  await inspector.post('Profiler.enable')
  await inspector.post('Profiler.setSamplingInterval', { interval: 200 })
  await inspector.post('Profiler.start')
}
let done = 0
let failed = 0
const until = performance.now() + SECONDS * 1000
const chain = async () => {
  while (performance.now() < until) {
    const taken = pool.shift()!
    const res = await app.request(
      '/auth/refresh',
      {
        method: 'POST',
        headers: { ...base, cookie: taken.cookie, 'x-forwarded-for': taken.ip },
      },
      env,
    )
    const successor = cookieOf(res)
    await res.arrayBuffer()
    if (res.status === 200 && successor) pool.push({ cookie: successor, ip: taken.ip })
    else failed++
    done++
  }
}
const started = performance.now()
await Promise.all(Array.from({ length: 10 }, chain))
const seconds = (performance.now() - started) / 1000
console.log(
  `${done} refreshes in ${seconds.toFixed(1)} s: ${Math.round(done / seconds)}/s, ${failed} failed`,
)
if (out) {
  const { profile } = await inspector.post('Profiler.stop')
  writeFileSync(out, JSON.stringify(profile))
}
await store.close()
