/**
 * @module
 * The boot benchmark's server: Baton's BFF (memory store, 10-minute access tokens, so nothing
 * refreshes during a run unless a boot does) and the boot page, from one Hono app on 127.0.0.1
 * and an ephemeral port. It counts every request that reaches `/auth/*` or `/api/*`.
 */
import { createBff, createSigningKeys, memoryStore } from '@baton/bff'
import { Hono } from 'hono'
import { serveOnLoopback } from '../lib/serve.js'
import type { PageScript } from './browser.js'
import { floorPage } from './floor.js'
import type { BootResult } from './pages/boot-tab.js'

/** A running boot server. */
export interface BootServer {
  origin: string
  counts: { refreshes: number; requests: number }
  /** What the pages of a run with no automation attached posted (`unattached.ts`), in order. */
  reports: BootResult[]
  close(): Promise<void>
}

const page = (kind: PageScript) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>boot</title>` +
  `<script ${kind === 'module' ? 'type="module"' : 'defer'} src="/boot.js"></script>` +
  `</head><body></body></html>`

/**
 * The driver of a run with no automation attached (`unattached.ts`): opens the sign-in tab, then
 * `?loads` lone-tab loads one after the other, each once the previous one has reported.
 */
const DRIVER =
  `<!doctype html><html><head><meta charset="utf-8"><title>driver</title><script type="module">` +
  `const loads = Number(new URLSearchParams(location.search).get('loads'));` +
  `const until = async (count) => { while ((await fetch('/boot/reports').then((r) => r.json())) < count)` +
  ` await new Promise((resolve) => setTimeout(resolve, 100)) };` +
  `const open = (search) => window.open('/boot?' + search, '_blank', 'noopener');` +
  `open('sign-in-unattached'); await until(1);` +
  // A pause between loads, as the runs driven by Playwright have (closing a tab, opening one).
  `for (let i = 0; i < loads; i++) { await new Promise((resolve) => setTimeout(resolve, 300));` +
  ` open('unattached'); await until(i + 2) }` +
  `</script></head><body></body></html>`

/** Starts the server with the bundled page script `script`, loaded as a `kind` script. */
export async function startBootServer(script: string, kind: PageScript): Promise<BootServer> {
  const store = memoryStore({ sweepInterval: 0 })
  const counts = { refreshes: 0, requests: 0 }
  const reports: BootResult[] = []
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
  const bootPage = page(kind)
  app.get('/boot', (c) => c.html(bootPage))
  app.get('/boot/driver', (c) => c.html(DRIVER))
  app.post('/boot/report', async (c) => {
    reports.push(await c.req.json<BootResult>())
    return c.body(null, 204)
  })
  app.get('/boot/reports', (c) => c.json(reports.length))
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
  return { origin, counts, reports, close }
}
