/**
 * @module
 * A Hono app on a free loopback port for an in-process bench server, and its shutdown.
 */
import { serve, type ServerType } from '@hono/node-server'
import type { Hono } from 'hono'
import type { AddressInfo } from 'node:net'

/**
 * Serves `app` on 127.0.0.1 (a free port); `close()` drops every open connection (Chromium keeps
 * them alive), stops the server, then runs `release` (the BFF's store).
 */
export async function serveOnLoopback(
  app: Hono,
  release: () => unknown,
): Promise<{ origin: string; close: () => Promise<void> }> {
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s))
  })
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
        server.close(() => resolve())
        void release()
      }),
  }
}
