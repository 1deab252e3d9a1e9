/**
 * @module
 * The BFF under a credential-stuffing flood: `createBff` on @hono/node-server with the memory
 * store and an `authenticate` that costs what a real one does, an scrypt hash (N=2^14, r=8, the
 * cost OWASP's password storage cheat sheet names), also for unknown users so that timing does not
 * tell which usernames exist. `BENCH_LIMITS=off` passes `rateLimit: false`, anything else keeps
 * the defaults. The BFF stands behind one proxy of ours (the load generator sends
 * `X-Forwarded-For`), so the flood and the real user have addresses of their own.
 */
import { serve } from '@hono/node-server'
import { createBff, createSigningKeys, memoryStore } from '@baton/bff'
import { Hono } from 'hono'
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { promisify } from 'node:util'
import { APP_ORIGIN, announce, onShutdown } from '../throughput/servers/common.js'

const hash = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
) => Promise<Buffer>
const SALT = randomBytes(16)
const REAL_USER = { username: 'alice', password: 'correct horse battery staple' }
const stored = await hash(REAL_USER.password, SALT, 32)

const store = memoryStore()
const app = new Hono()
app.route(
  '/',
  createBff({
    keys: createSigningKeys({ logger: { warn() {} } }),
    store,
    allowedOrigins: [APP_ORIGIN],
    trustProxy: 1,
    rateLimit: process.env.BENCH_LIMITS === 'off' ? false : {},
    authenticate: async ({ username, password }) => {
      const derived = await hash(password, SALT, 32)
      const ok = username === REAL_USER.username && timingSafeEqual(derived, stored)
      return ok ? { id: 'user-alice' } : null
    },
    logger: { warn() {}, error: (...args: unknown[]) => console.error(...args) },
  }),
)

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () =>
  announce((server.address() as AddressInfo).port),
)
onShutdown(async () => {
  server.close()
  await store.close()
})
