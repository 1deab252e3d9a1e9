/**
 * @module
 * The storm's server: Baton's BFF (`accessTokenTtl: '3s'`), a `requireAuth` API and the two storm
 * pages, from one Hono app on 127.0.0.1 and an ephemeral port. It counts what reaches the BFF:
 * every `POST /auth/refresh` request, and the refresh and reuse events of `onEvent`.
 */
import {
  createBff,
  createSigningKeys,
  memoryStore,
  requireAuth,
  type Duration,
  type RequireAuthVariables,
} from '@baton/bff'
import { Hono } from 'hono'
import { serveOnLoopback } from '../lib/serve.js'

/** What reached the BFF during one scenario. */
export interface BffCounts {
  /** `POST /auth/refresh` requests, whatever their outcome. */
  refreshRequests: number
  /** Refreshes that rotated the token. */
  rotations: number
  /** Refreshes answered from the grace window (a duplicate got the same successor). */
  duplicates: number
  /** Already-rotated tokens presented after the grace window: the session was revoked. */
  reuseDetected: number
  logins: number
}

/** A running storm server. */
export interface StormServer {
  origin: string
  counts: BffCounts
  close(): Promise<void>
}

const page = (script: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>storm</title></head>` +
  `<body><script type="module" src="/${script}.js"></script></body></html>`

/**
 * Starts the server. `scripts` maps a page name to its bundled JavaScript; the page is served at
 * `/<name>` and its script at `/<name>.js`.
 */
export async function startStormServer(
  gracePeriod: Duration,
  scripts: Record<string, string>,
): Promise<StormServer> {
  const keys = createSigningKeys({ logger: { warn() {} } })
  const store = memoryStore({ sweepInterval: 0 })
  const counts: BffCounts = {
    refreshRequests: 0,
    rotations: 0,
    duplicates: 0,
    reuseDetected: 0,
    logins: 0,
  }

  const app = new Hono()
  app.use('/auth/refresh', async (_c, next) => {
    counts.refreshRequests++
    await next()
  })
  app.route(
    '/',
    createBff({
      keys,
      store,
      accessTokenTtl: '3s',
      gracePeriod,
      authenticate: async ({ username }) => ({ id: username }),
      onEvent: (event) => {
        if (event.type === 'login') counts.logins++
        else if (event.type === 'refresh') {
          if (event.duplicate) counts.duplicates++
          else counts.rotations++
        } else if (event.type === 'reuse_detected') counts.reuseDetected++
      },
      logger: { warn() {}, error: (...args: unknown[]) => console.error(...args) },
    }),
  )
  const api = new Hono<{ Variables: RequireAuthVariables }>()
  // Revocations reach the API at once, as Baton's README recommends: after a reuse alarm, the
  // other tabs' access tokens stop working too.
  api.use(requireAuth({ jwks: keys, issuer: 'baton', audience: 'baton-api', checkRevoked: store }))
  api.get('/me', (c) => c.json({ id: c.var.userId }))
  app.route('/api', api)
  for (const [name, code] of Object.entries(scripts)) {
    app.get(`/${name}`, (c) => c.html(page(name)))
    app.get(`/${name}.js`, (c) => c.body(code, 200, { 'content-type': 'text/javascript' }))
  }

  const { origin, close } = await serveOnLoopback(app, () => store.close())
  return { origin, counts, close }
}
