/**
 * @module
 * The demo (built SPA served by the BFF, as `pnpm start` runs it) on an ephemeral 127.0.0.1 port,
 * with everything that reaches it written down: every BFF audit event, and every HTTP request
 * with its final status.
 *
 * The server runs inside the Playwright worker rather than in a child process. Its `onEvent` is
 * called before the response leaves, so by the time a page has seen a refresh answer the event
 * is already counted: no stdout to parse, no line that might arrive late or split, and no child
 * process to orphan when a worker dies. The cost is that the worker must resolve the workspace
 * packages' `@baton/source` condition, which the e2e `test` script passes in NODE_OPTIONS
 * (Playwright's own TypeScript loader then compiles the demo server's sources; forked workers
 * inherit NODE_OPTIONS).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { BffEvent, BffEventType } from '@baton/bff'
import { loadConfig, startDemoServer, type DemoServer, type Env } from '@baton/demo/server'

/** One HTTP request that reached the demo server. */
export interface ServerRequest {
  method: string
  /** Path without the query string, e.g. `/auth/refresh`. */
  path: string
  /** Epoch ms when the server started reading it. */
  at: number
  /** The response status, once the response is finished; `null` until then. */
  status: number | null
}

/** A running demo server and what it has seen so far. */
export interface Demo {
  /** `http://127.0.0.1:<port>`, also the origin the pages and the BFF agree on. */
  readonly url: string
  readonly server: DemoServer
  /** Every BFF audit event, in order. */
  readonly events: readonly BffEvent[]
  /** Every request that reached the server, in order. */
  readonly requests: readonly ServerRequest[]
  /** The events of one type. */
  eventsOf<T extends BffEventType>(type: T): Extract<BffEvent, { type: T }>[]
  /** Successful refreshes: `refresh` events, grace-window duplicates included. */
  refreshCount(): number
  /** Every `POST /auth/refresh` that reached the server, whatever it was answered. */
  refreshRequests(): ServerRequest[]
  /** Stops the server; also stops recording. Safe to call twice. */
  close(): Promise<void>
}

/** The settings every scenario starts from: 3 s access tokens refreshed 500 ms before expiry. */
export const DEFAULT_DEMO_ENV: Env = {
  PORT: '0',
  HOST: '127.0.0.1',
  BATON_ACCESS_TTL: '3s',
  BATON_REFRESH_MARGIN: '500ms',
}

/** What Node's built-in `http.server.*` diagnostics channels publish. */
interface HttpServerMessage {
  request: IncomingMessage
  response: ServerResponse
  socket: Socket
}

/**
 * Starts a fresh demo server (memory store, new signing keys) with `env` over
 * {@link DEFAULT_DEMO_ENV}. Unexpected server errors are collected in `serverErrors` so the
 * fixture can fail the test that caused them.
 */
export async function startDemo(env: Env, serverErrors: unknown[][]): Promise<Demo> {
  const events: BffEvent[] = []
  const requests: ServerRequest[] = []
  const pending = new WeakMap<IncomingMessage, ServerRequest>()
  let port = -1

  // The demo app is composed inside startDemoServer, so there is no place for a counting
  // middleware; Node's HTTP diagnostics channels see every request the server accepts instead.
  const onStart = (message: unknown) => {
    const { request, socket } = message as HttpServerMessage
    if (socket.localPort !== port) return
    const entry: ServerRequest = {
      method: request.method ?? '',
      path: new URL(request.url ?? '/', 'http://demo').pathname,
      at: Date.now(),
      status: null,
    }
    pending.set(request, entry)
    requests.push(entry)
  }
  const onFinish = (message: unknown) => {
    const { request, response } = message as HttpServerMessage
    const entry = pending.get(request)
    if (entry) entry.status = response.statusCode
  }

  const server = await startDemoServer({
    config: loadConfig({ ...DEFAULT_DEMO_ENV, ...env }, 'production'),
    onEvent: (event) => events.push(event),
    log: null,
    logger: {
      // Every server starts with fresh signing keys on purpose; that warning is expected.
      warn: (...args: unknown[]) => {
        if (!String(args[0]).includes('no signing keys configured')) console.warn(...args)
      },
      error: (...args: unknown[]) => {
        serverErrors.push(args)
        console.error(...args)
      },
    },
  })
  port = server.port
  subscribe('http.server.request.start', onStart)
  subscribe('http.server.response.finish', onFinish)

  let closed: Promise<void> | null = null
  return {
    url: server.url,
    server,
    events,
    requests,
    eventsOf: <T extends BffEventType>(type: T) =>
      events.filter((event): event is Extract<BffEvent, { type: T }> => event.type === type),
    refreshCount: () => events.filter((event) => event.type === 'refresh').length,
    refreshRequests: () =>
      requests.filter((request) => request.method === 'POST' && request.path === '/auth/refresh'),
    close: () => {
      closed ??= server.close().finally(() => {
        unsubscribe('http.server.request.start', onStart)
        unsubscribe('http.server.response.finish', onFinish)
      })
      return closed
    },
  }
}
