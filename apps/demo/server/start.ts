/**
 * @module
 * `startDemoServer()`: the demo app on a real port (used by `pnpm start`, `pnpm dev`, the
 * screenshot script and the e2e suite).
 */
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { createDemoApp, type DemoApp, type DemoAppOptions } from './app.js'
import type { DemoConfig } from './config.js'

/** Options of {@link startDemoServer}. */
export interface StartDemoServerOptions extends DemoAppOptions {
  /** From `loadConfig(env, mode)`; `port: 0` picks a free port. */
  config: DemoConfig
}

/** A listening demo server. */
export interface DemoServer extends DemoApp {
  /** `http://host:port`, with the port actually bound. */
  url: string
  port: number
  /** Stops listening (dropping open connections) and closes the store. */
  close(): Promise<void>
}

/**
 * Creates the demo app and listens on `config.host:config.port`.
 *
 * @example
 * ```ts
 * const server = await startDemoServer({
 *   config: loadConfig({ PORT: '0', BATON_ACCESS_TTL: '3s', BATON_REFRESH_MARGIN: '500ms' }, 'production'),
 *   onEvent: (event) => events.push(event),
 *   log: null,
 * })
 * await page.goto(server.url)
 * await server.close()
 * ```
 */
export async function startDemoServer(options: StartDemoServerOptions): Promise<DemoServer> {
  const { config, ...appOptions } = options
  const demo = await createDemoApp(config, appOptions)
  let http: ServerType
  try {
    http = await new Promise<ServerType>((resolve, reject) => {
      const server = serve(
        { fetch: demo.app.fetch, hostname: config.host, port: config.port },
        () => resolve(server),
      )
      server.once('error', reject)
    })
  } catch (error) {
    await demo.close()
    throw error
  }
  const { port } = http.address() as AddressInfo
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  return {
    ...demo,
    url: `http://${host}:${port}`,
    port,
    close: async () => {
      await new Promise<void>((resolve) => {
        ;(http as { closeAllConnections?: () => void }).closeAllConnections?.()
        http.close(() => resolve())
      })
      await demo.close()
    },
  }
}
