/**
 * @module
 * Profiling aid for the refresh path (issue 15), not part of `pnpm bench`: Baton's memory-store
 * BFF configured as in `servers/baton.ts` (or, with `TARGET=floor`, the floor's app of
 * `servers/hono-floor-app.ts`), driven in process (`app.request`, no sockets) by 10 concurrent
 * rotation chains over 2,000 sessions with their own client IPs, for `SECONDS`.
 * Run with `node --conditions=@baton/source --import tsx throughput/profile/refresh.ts [out]`: with
 * `out`, the refreshes (not the logins before them) are profiled into `out` (a `.cpuprofile`),
 * which `profile/summarise.ts` summarises. It prints refreshes per second and the process's CPU
 * time per refresh (all threads, so the floor's WebCrypto thread pool counts): on a shared
 * machine CPU time moves less than wall time, and Baton's figure minus the floor's is what the
 * HTTP bench's ratio pays for (both pay the same `Request`/`Response` overhead here).
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { createBff, createSigningKeys, memoryStore, REFRESH_COOKIE } from '@baton/bff'
import { Hono } from 'hono'
import { app as floorApp, COOKIE as FLOOR_COOKIE } from '../servers/hono-floor-app.js'

const SECONDS = Number(process.env.SECONDS ?? 8)
const floor = process.env.TARGET === 'floor'
const APP_ORIGIN = 'http://localhost:5173'
const store = memoryStore()
const app = floor ? floorApp : new Hono()
if (!floor) {
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
}
const cookieName = floor ? FLOOR_COOKIE : REFRESH_COOKIE
// Without a socket, trustProxy: 1 has no peer to start from; the env gives one.
const env = { incoming: { socket: { remoteAddress: '127.0.0.1' } } }
const base = { 'x-csrf': '1', origin: APP_ORIGIN, 'user-agent': 'baton-bench/1.0' }
const cookieOf = (res: Response) =>
  res.headers
    .getSetCookie()
    .map((line) => line.split(';')[0]!)
    .find((pair) => pair.startsWith(`${cookieName}=`))

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
const cpu = process.cpuUsage()
await Promise.all(Array.from({ length: 10 }, chain))
const used = process.cpuUsage(cpu)
const seconds = (performance.now() - started) / 1000
console.log(
  `${floor ? 'floor' : 'Baton'}: ${done} refreshes in ${seconds.toFixed(1)} s: ` +
    `${Math.round(done / seconds)}/s, ${((used.user + used.system) / done).toFixed(1)} µs CPU ` +
    `per refresh, ${failed} failed`,
)
if (out) {
  const { profile } = await inspector.post('Profiler.stop')
  writeFileSync(out, JSON.stringify(profile))
}
await store.close()
