/**
 * @module
 * `startDemoServer()`: the demo app on a real port (used by `pnpm start`, `pnpm dev`, the
 * screenshot script and the e2e suite).
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { BffError } from '@baton/bff'
import type { OidcLogin } from '@baton/bff/oidc'
import { getRequestListener, RequestError } from '@hono/node-server'
import { Hono } from 'hono'
import { createDemoApp, securityHeaders, type DemoApp, type DemoAppOptions } from './app.js'
import type { DemoConfig } from './config.js'
import { IDP_CLIENT_ID, startDemoIdp, type DemoIdp } from './idp.js'
import { demoOidcLogin, type IdpSetting } from './idp-login.js'
import { createUserDirectory, type DemoUser } from './users.js'

/** Options of {@link startDemoServer}. */
export interface StartDemoServerOptions extends DemoAppOptions {
  /** From `loadConfig(env, mode)`; `port: 0` picks a free port. */
  config: DemoConfig
  /**
   * OpenID Connect sign-in ("Sign in with Demo IdP"), usually `idpFromEnv(process.env)`.
   * @default the embedded demo provider on any free loopback port
   */
  idp?: IdpSetting
  /**
   * The app's origin as the browser sees it, when that is not this server's (Vite in development):
   * the provider sends the browser back there.
   * @default this server's `url`
   */
  appUrl?: string
}

/** A listening demo server. */
export interface DemoServer extends DemoApp {
  /** `http://host:port`, with the port actually bound. */
  url: string
  port: number
  /** The embedded demo provider's issuer, or `null` when it is not running. */
  idpUrl: string | null
  /** Stops listening (dropping open connections) and closes the store. */
  close(): Promise<void>
}

/**
 * What the adapter could not make a `Request` of (a backslash in the path, a malformed `Host`)
 * never reaches the app: it is answered as the app answers a bad request, in the JSON shape and
 * with the app's headers, not with the adapter's bare `400 text/plain`.
 */
const malformed = new Hono()
  .use(securityHeaders())
  .all('*', () => new BffError(400, 'invalid_request', 'The request is malformed.').getResponse())
const unparsed = (error: unknown) =>
  error instanceof RequestError
    ? malformed.request('/')
    : new BffError(500, 'internal', 'Something went wrong on our side.').getResponse()

/**
 * Creates the demo app and listens on `config.host:config.port`, with the embedded OpenID
 * provider beside it on its own loopback port unless `idp` says otherwise. The port is bound
 * first: the provider must know the app's callback URL, which names it.
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
  const { config, idp: idpSetting = { kind: 'embedded', port: 0 }, appUrl, ...appOptions } = options
  let app: DemoApp['app'] | null = null
  const listener = getRequestListener(
    // 503 for the moment between binding the port and the app being ready.
    (request, env) => (app ? app.fetch(request, env) : new Response(null, { status: 503 })),
    { hostname: config.host, errorHandler: unparsed },
  )
  const http = await new Promise<Server>((resolve, reject) => {
    // The listener settles its own failures (`errorHandler`): nothing is left to catch here.
    const server = createServer((incoming, outgoing) => void listener(incoming, outgoing))
    server.once('error', reject)
    server.listen(config.port, config.host, () => resolve(server))
  })
  const stop = () =>
    new Promise<void>((resolve) => {
      ;(http as { closeAllConnections?: () => void }).closeAllConnections?.()
      http.close(() => resolve())
    })
  const { port } = http.address() as AddressInfo
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  const url = `http://${host}:${port}`
  const publicUrl = appUrl ?? url

  let idp: DemoIdp | null = null
  let demo: DemoApp
  try {
    // One directory for the password accounts and the provider's users.
    const users = appOptions.users ?? (await createUserDirectory())
    let oidc: OidcLogin<DemoUser> | undefined
    if (idpSetting.kind === 'embedded') {
      idp = await startDemoIdp({ host: config.host, port: idpSetting.port })
      idp.register({
        redirectUri: `${publicUrl}/auth/oidc/callback`,
        postLogoutRedirectUri: `${publicUrl}/login`,
        backchannelLogoutUri: `${url}/auth/oidc/backchannel-logout`,
      })
      oidc = demoOidcLogin({
        issuer: idp.issuer,
        clientId: IDP_CLIENT_ID,
        clientSecret: idp.clientSecret,
        appUrl: publicUrl,
        users,
      })
    } else if (idpSetting.kind === 'external') {
      oidc = demoOidcLogin({ ...idpSetting, appUrl: publicUrl, users })
    }
    demo = await createDemoApp(config, { ...appOptions, users, ...(oidc ? { oidc } : {}) })
  } catch (error) {
    await stop()
    await idp?.close()
    throw error
  }
  app = demo.app
  return {
    ...demo,
    url,
    port,
    idpUrl: idp?.issuer ?? null,
    close: async () => {
      await stop()
      await idp?.close()
      await demo.close()
    },
  }
}
