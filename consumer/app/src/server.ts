/**
 * The server a stranger writes from the README: a Hono app with the BFF mounted under `/api`,
 * SQLite sessions, signing keys from the environment, and API routes behind `bff.requireAuth()`
 * (revocations from the BFF's store) and a standalone `requireAuth()` (signature and claims only,
 * as another service would verify).
 */
import { Hono } from 'hono'
import {
  bffErrorHandler,
  bffNotFound,
  createBff,
  createSigningKeys,
  requireAuth,
  type BffEvent,
  type RequireAuthVariables,
} from '@baton/bff'
import { sqliteStore, type SqliteStore } from '@baton/bff/stores/sqlite'

export interface ServerOptions {
  /** The SQLite file sessions live in. */
  databasePath: string
  /** The `BATON_SIGNING_KEYS` value: a JWK array as JSON. */
  signingKeys: string
  onEvent?: (event: BffEvent) => void
}

export interface Server {
  app: Hono
  store: SqliteStore
}

/** An `interface`, as an application declares its user: no index signature needed. */
interface User {
  id: string
  name: string
}

const users: Record<string, { password: string; user: User }> = {
  alice: { password: 'wonderland', user: { id: 'u-alice', name: 'Alice' } },
}

export function createServer(options: ServerOptions): Server {
  const keys = createSigningKeys({ keys: options.signingKeys, source: 'BATON_SIGNING_KEYS' })
  const store = sqliteStore({ path: options.databasePath })
  const bff = createBff({
    keys,
    store,
    authenticate: async ({ username, password }) => {
      const entry = users[username]
      return entry !== undefined && entry.password === password ? entry.user : null
    },
    validateSession: (session) => session.user.name !== '', // typed as User
    onEvent: (event) => options.onEvent?.(event),
  })

  const app = new Hono()
  app.onError(bffErrorHandler())
  app.notFound(bffNotFound)
  app.route('/api', bff)

  const api = new Hono<{ Variables: RequireAuthVariables }>()
  api.use('/me', bff.requireAuth())
  api.get('/me', (c) => c.json({ id: c.var.userId }))
  // What a service in another process does: signature and claims, no revocations.
  api.use('/stateless', requireAuth({ jwks: keys, issuer: 'baton', audience: 'baton-api' }))
  api.get('/stateless', (c) => c.json({ id: c.var.userId }))
  app.route('/api', api)
  return { app, store }
}
