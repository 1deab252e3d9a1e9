/**
 * @module
 * The load generator: autocannon in a process of its own (so it never shares an event loop with
 * the servers under test). Usage: `load.ts '<json LoadConfig>'`; prints `RESULT <json>` (an
 * array of {@link TargetResult}, one per target).
 *
 * It loads several servers (Baton and its baseline) in short interleaved windows, A B B A A B…,
 * so that each Baton window has a baseline window right next to it in time: on a shared machine
 * whose load changes from one second to the next, their ratio then compares like with like.
 *
 * - `refresh`: every request presents a valid, current refresh token. Sessions are logged in
 *   first; each request takes a session's current cookie from the target's pool and its
 *   response's `Set-Cookie` puts the successor back, so every rotation chain is followed and no
 *   token is ever presented twice.
 * - `me`: one valid access token (or, for express-session, a valid session cookie) on every
 *   request.
 *
 * Latencies come from autocannon's `response` events (hrtime, sub-millisecond); its own histogram
 * has 1 ms buckets, too coarse for these endpoints.
 */
import autocannon from 'autocannon'
import { REFRESH_COOKIE } from '@baton/bff'
import { percentile } from '../lib/stats.js'
import { APP_ORIGIN } from './servers/common.js'

/** Which server answers. */
export type Stack = 'baton' | 'hono-floor' | 'express-jwt' | 'express-session'
/** Which endpoint is loaded. */
export type Endpoint = 'refresh' | 'me'

/** What `throughput.ts` passes. */
export interface LoadConfig {
  targets: Array<{ url: string; stack: Stack }>
  endpoint: Endpoint
  connections: number
  /** Measured windows per target. */
  windows: number
  /** Seconds per window. */
  window: number
  /** Seconds of load per target before the first window, not counted. */
  warmup: number
}

/** One measured window. */
export interface WindowResult {
  requestsPerSec: number
  requests: number
  p50: number
  p99: number
  non2xx: number
  errors: number
  /** When the window started and ended (epoch ms), so a parent can match its own samples. */
  startedAt: number
  endedAt: number
}

/** What this process reports per target, in the order of `targets`. */
export interface TargetResult {
  windows: WindowResult[]
  /** Sessions whose chain broke (a refresh answered without a successor cookie). */
  lostSessions: number
}

const config = JSON.parse(process.argv[2] ?? '') as LoadConfig

const COOKIE_NAMES: Record<Stack, string> = {
  baton: REFRESH_COOKIE,
  'hono-floor': 'floor_rt',
  'express-jwt': 'refresh_token',
  'express-session': 'sid',
}
// Every stack gets the same headers; only Baton looks at X-CSRF and Origin, and at the user
// agent (a refresh from another browser than the sign-in's is an anomaly that ends the session).
const baseHeaders = { 'x-csrf': '1', origin: APP_ORIGIN, 'user-agent': 'baton-bench/1.0' }

/**
 * Sessions in the refresh pool. Baton limits `POST /auth/refresh` to 300 per client IP per minute
 * by default, and that limiter stays on: the load generator plays many browsers, each session
 * with its own client IP, sent as `X-Forwarded-For` to a server started with `trustProxy: 1`
 * (one proxy of ours in front, as in most deployments). At the ~15k refreshes/s this machine
 * reaches, a target's 13 s of load stay under 100 refreshes per IP, so the limiter runs (a
 * counter update per request) without refusing any: it is paid for, not measured as 429s.
 */
const REFRESH_SESSIONS = 2_000

/** A distinct client address per session (one per /24, so no two sessions share a network). */
const clientIp = (index: number) => `10.${(index >> 8) & 255}.${index & 255}.7`

const cookiePair = (name: string, setCookie: readonly string[]) =>
  setCookie.map((line) => line.split(';')[0]!).find((pair) => pair.startsWith(`${name}=`))

const successorOf = (name: string, headers: autocannon.Request['headers']) => {
  // Raw header names keep the server's spelling ("Set-Cookie" from Express).
  const key = Object.keys(headers ?? {}).find((k) => k.toLowerCase() === 'set-cookie')
  const value = key === undefined ? undefined : headers?.[key]
  return cookiePair(name, value === undefined ? [] : Array.isArray(value) ? value : [value])
}

/** One server under load: its sessions, and how to build its requests. */
async function prepare(target: LoadConfig['targets'][number]) {
  const cookieName = COOKIE_NAMES[target.stack]
  const login = async (index: number) => {
    const ip = clientIp(index)
    const response = await fetch(`${target.url}/auth/login`, {
      method: 'POST',
      headers: { ...baseHeaders, 'x-forwarded-for': ip, 'content-type': 'application/json' },
      body: JSON.stringify({ username: `bench-${index}`, password: 'bench' }),
    })
    if (!response.ok) {
      throw new Error(`${target.stack} login answered ${response.status}: ${await response.text()}`)
    }
    const cookie = cookiePair(cookieName, response.headers.getSetCookie())
    if (!cookie) throw new Error(`${target.stack} login set no session cookie`)
    const body = (await response.json()) as { accessToken?: string }
    return { cookie, accessToken: body.accessToken ?? null, ip }
  }

  // Each window ends with one request per connection built (its cookie taken) but never sent, so
  // every window uses up `connections` sessions; the rest keeps every client IP under Baton's
  // per-IP refresh limit (see REFRESH_SESSIONS).
  const sessions =
    config.endpoint === 'refresh'
      ? Math.max(REFRESH_SESSIONS, config.connections * (config.windows + 2))
      : 1
  const credentials: Array<{ cookie: string; accessToken: string | null; ip: string }> = []
  for (let i = 0; i < sessions; i += 20) {
    const batch = Array.from({ length: Math.min(20, sessions - i) }, (_, j) => login(i + j))
    credentials.push(...(await Promise.all(batch)))
  }

  /**
   * Current refresh cookies not in flight, each with its session's client IP: taken by a request,
   * replaced by its successor.
   */
  const pool = credentials.map((c) => ({ cookie: c.cookie, ip: c.ip }))
  const state = { lostSessions: 0 }

  // Refresh requests differ (each carries the cookie it takes from the pool), so they are built
  // one by one; `/api/me` is one fixed request that autocannon builds once, keeping the load
  // generator's own CPU cost low (it shares the machine with the servers).
  const request = (): autocannon.Request => {
    if (config.endpoint === 'refresh') {
      return {
        method: 'POST',
        path: '/auth/refresh',
        setupRequest: (request, context) => {
          const taken = pool.shift()
          // The connection's context carries the IP to onResponse, where the successor goes back.
          ;(context as { ip?: string | undefined }).ip = taken?.ip
          const headers = taken
            ? { ...baseHeaders, cookie: taken.cookie, 'x-forwarded-for': taken.ip }
            : baseHeaders
          return { ...request, headers }
        },
        onResponse: (status, _body, context, headers) => {
          const successor = successorOf(cookieName, headers)
          const ip = (context as { ip?: string } | undefined)?.ip
          if (status === 200 && successor && ip) pool.push({ cookie: successor, ip })
          else state.lostSessions++
        },
      }
    }
    const credential = credentials[0]!
    const auth =
      target.stack === 'express-session'
        ? { cookie: credential.cookie }
        : { authorization: `Bearer ${credential.accessToken}` }
    return { method: 'GET', path: '/api/me', headers: { ...baseHeaders, ...auth } }
  }
  return { url: target.url, request, state, windows: [] as WindowResult[] }
}

type Prepared = Awaited<ReturnType<typeof prepare>>

/** One autocannon run against `target` for `seconds`. */
const load = (target: Prepared, seconds: number) =>
  new Promise<WindowResult>((resolve, reject) => {
    const latencies: number[] = []
    const startedAt = Date.now()
    const instance = autocannon(
      {
        url: target.url,
        connections: config.connections,
        pipelining: 1,
        duration: seconds,
        requests: [target.request()],
      },
      (error: unknown, result: autocannon.Result) => {
        if (error)
          return reject(
            error instanceof Error ? error : new Error('autocannon failed', { cause: error }),
          )
        resolve({
          // Completed responses over the window; autocannon's `requests.average` is the same
          // figure averaged per second.
          requestsPerSec: result.requests.total / result.duration,
          requests: result.requests.total,
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
          non2xx: result.non2xx,
          errors: result.errors,
          startedAt,
          endedAt: Date.now(),
        })
      },
    )
    instance.on('response', (_client, _status, _bytes, responseTime) =>
      latencies.push(responseTime),
    )
  })

const targets = await Promise.all(config.targets.map(prepare))
if (config.warmup > 0) {
  for (const target of targets) await load(target, config.warmup)
}
for (let k = 0; k < config.windows; k++) {
  // A B, then B A: a trend during the measurement favours neither target.
  const order = k % 2 === 0 ? targets : [...targets].reverse()
  for (const target of order) target.windows.push(await load(target, config.window))
}

const output: TargetResult[] = targets.map((t) => ({
  windows: t.windows,
  lostSessions: t.state.lostSessions,
}))
process.stdout.write(`RESULT ${JSON.stringify(output)}\n`)
