/**
 * @module
 * The flood and the real user, in a process of their own (never on the server's event loop).
 * Usage: `load.ts '<json FloodConfig>'`; prints `RESULT <json FloodResult>`.
 *
 * The flood is autocannon: `connections` keep-alive connections posting wrong passwords for a new
 * username each time, all from `floodFrom` (one address, or a fresh one per request with
 * `'many'`). Meanwhile the real user signs in with the right password from an address of their
 * own, one login after the other, and each login's latency is recorded.
 */
import autocannon from 'autocannon'
import { APP_ORIGIN } from '../throughput/servers/common.js'

/** What `flood.ts` passes. */
export interface FloodConfig {
  url: string
  connections: number
  /** Seconds of flood. */
  seconds: number
  /** The flood's address, or `'many'` for a new one per request (a botnet). */
  floodFrom: string
}

/** What this process reports. */
export interface FloodResult {
  /** Flood requests answered per second, and how. */
  floodPerSec: number
  flood401: number
  flood429: number
  floodOther: number
  /** The real user's logins during the flood: latencies (ms) and statuses. */
  legitMs: number[]
  legitStatuses: number[]
}

const config = JSON.parse(process.argv[2] ?? '') as FloodConfig
const headers = { 'content-type': 'application/json', 'x-csrf': '1', origin: APP_ORIGIN }

let n = 0
const address = () =>
  config.floodFrom === 'many'
    ? `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`
    : config.floodFrom

const statuses = { 401: 0, 429: 0, other: 0 }
// `connections: 0` measures the real user alone: the baseline.
const flood =
  config.connections === 0
    ? Promise.resolve({ errors: 0, timeouts: 0 })
    : new Promise<autocannon.Result>((resolve, reject) => {
        const instance = autocannon(
          {
            url: `${config.url}/auth/login`,
            connections: config.connections,
            duration: config.seconds,
            requests: [
              {
                method: 'POST',
                setupRequest: (request) => {
                  n++
                  return {
                    ...request,
                    headers: { ...headers, 'x-forwarded-for': address() },
                    body: JSON.stringify({
                      username: `user${n}@example.com`,
                      password: `guess-${n}`,
                    }),
                  }
                },
              },
            ],
          },
          (error: unknown, result: autocannon.Result) => {
            if (error) reject(error instanceof Error ? error : new Error('autocannon failed'))
            else resolve(result)
          },
        )
        instance.on('response', (_client, statusCode) => {
          if (statusCode === 401) statuses[401]++
          else if (statusCode === 429) statuses[429]++
          else statuses.other++
        })
      })

const legitMs: number[] = []
const legitStatuses: number[] = []
const until = Date.now() + config.seconds * 1_000
// Let the flood fill the server first, as it would have before the user arrives.
await new Promise((resolve) => setTimeout(resolve, 500))
while (Date.now() < until - 250) {
  const started = performance.now()
  const res = await fetch(`${config.url}/auth/login`, {
    method: 'POST',
    headers: { ...headers, 'x-forwarded-for': '192.0.2.7' },
    body: JSON.stringify({ username: 'alice', password: 'correct horse battery staple' }),
  })
  await res.arrayBuffer()
  legitMs.push(performance.now() - started)
  legitStatuses.push(res.status)
  await new Promise((resolve) => setTimeout(resolve, 100))
}
const result = await flood
const answered = statuses[401] + statuses[429] + statuses.other
process.stdout.write(
  `RESULT ${JSON.stringify({
    floodPerSec: answered / config.seconds,
    flood401: statuses[401],
    flood429: statuses[429],
    floodOther: statuses.other + result.errors + result.timeouts,
    legitMs,
    legitStatuses,
  } satisfies FloodResult)}\n`,
)
