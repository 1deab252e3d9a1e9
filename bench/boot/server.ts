/**
 * @module
 * The boot benchmark's server: Baton's BFF (memory store, 10-minute access tokens, so nothing
 * refreshes during a run unless a boot does) and the boot page, from one Hono app on 127.0.0.1
 * and an ephemeral port. It counts every request that reaches `/auth/*` or `/api/*`.
 */
import { createBff, createSigningKeys, memoryStore } from '@baton/bff'
import { Hono } from 'hono'
import { serveOnLoopback } from '../lib/serve.js'
import { floorPage } from './floor.js'

/** A running boot server. */
export interface BootServer {
  origin: string
  counts: { refreshes: number; requests: number }
  close(): Promise<void>
}

const PAGE =
  `<!doctype html><html><head><meta charset="utf-8"><title>boot</title>` +
  `<script type="module" src="/boot.js"></script></head><body></body></html>`

/** Starts the server with the bundled page script `script`. */
export async function startBootServer(script: string): Promise<BootServer> {
  const store = memoryStore({ sweepInterval: 0 })
  const counts = { refreshes: 0, requests: 0 }
  const app = new Hono()
  app.use('/auth/*', async (c, next) => {
    counts.requests++
    if (c.req.path === '/auth/refresh') counts.refreshes++
    await next()
  })
  app.use('/api/*', async (_c, next) => {
    counts.requests++
    await next()
  })
  app.route(
    '/',
    createBff({
      keys: createSigningKeys({ logger: { warn() {} } }),
      store,
      accessTokenTtl: '10m',
      authenticate: async ({ username }) => ({ id: username }),
      logger: { warn() {}, error: (...args: unknown[]) => console.error(...args) },
    }),
  )
  app.get('/boot', (c) => c.html(PAGE))
  // The platform floor's probes (`floor.ts`): pages without Baton, and the request they time.
  app.get('/floor', (c) => {
    const page = floorPage(decodeURIComponent(new URL(c.req.url).search.slice(1)))
    return page === null ? c.notFound() : c.html(page)
  })
  app.post('/floor/ping', (c) => c.body(null, 204))
  app.get('/boot.js', (c) =>
    c.body(script, 200, { 'content-type': 'text/javascript', 'cache-control': 'max-age=600' }),
  )
  const { origin, close } = await serveOnLoopback(app, () => store.close())
  return { origin, counts, close }
}
