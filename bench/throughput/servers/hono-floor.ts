/**
 * @module
 * The floor (issue 15): the least a rotating-cookie BFF can do, on the same framework and JWT
 * library as Baton. Hono on @hono/node-server; an opaque refresh token (32 random bytes) in an
 * HttpOnly cookie, kept in a `Map` and swapped for a new one on every refresh; an ES256 access
 * token signed with jose; `GET /api/me` verifies it with jose against the public key. No CSRF
 * check, no reuse detection, no grace window, no idle deadline, no revocation feed, no events:
 * whatever Baton does beyond this is what its ratio to this server pays for.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { app } from './hono-floor-app.js'
import { announce, onShutdown } from './common.js'

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () =>
  announce((server.address() as AddressInfo).port),
)
onShutdown(async () => {
  server.close()
})
