/**
 * @module
 * Baton under test: `createBff` and a `requireAuth` API on @hono/node-server, with the memory or
 * the Redis store (`BENCH_STORE`). Configured as the README tells users to: default ES256 keys,
 * default token lifetimes, revocations checked through the store, every protection on (rate limits,
 * anomaly detection, DPoP `if_supported`, the revocation epoch, session limits).
 */
import { serve } from '@hono/node-server'
import {
  createBff,
  createSigningKeys,
  memoryStore,
  requireAuth,
  type RequireAuthVariables,
  type SessionStore,
} from '@baton/bff'
import { redisStore } from '@baton/bff/stores/redis'
import { Hono } from 'hono'
import type { AddressInfo } from 'node:net'
import { APP_ORIGIN, announce, onShutdown, serverEnv } from './common.js'

const store: SessionStore =
  serverEnv.store === 'redis'
    ? redisStore({ redis: serverEnv.redisUrl, keyPrefix: serverEnv.redisPrefix })
    : memoryStore()
const keys = createSigningKeys({ logger: { warn() {} } })

const app = new Hono()
app.route(
  '/',
  createBff({
    keys,
    store,
    allowedOrigins: [APP_ORIGIN],
    // One proxy of ours in front: the load generator names each session's client IP in
    // X-Forwarded-For, so the per-IP rate limits run on every request as they would for many
    // browsers, instead of refusing one address that stands for all of them.
    trustProxy: 1,
    // Accepts anyone: password hashing would dominate and is the same cost in any stack.
    authenticate: async ({ username }) => ({ id: username }),
    logger: { warn() {}, error: (...args: unknown[]) => console.error(...args) },
  }),
)
const api = new Hono<{ Variables: RequireAuthVariables }>()
api.use(requireAuth({ jwks: keys, issuer: 'baton', audience: 'baton-api', checkRevoked: store }))
api.get('/me', (c) => c.json({ id: c.var.userId, sessionId: c.var.sessionId }))
app.route('/api', api)

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () =>
  announce((server.address() as AddressInfo).port),
)
onShutdown(async () => {
  server.close()
  await store.close()
})
