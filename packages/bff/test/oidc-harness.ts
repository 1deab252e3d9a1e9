/**
 * A BFF with OpenID Connect sign-in, served on 127.0.0.1 (the provider must reach its back-channel
 * route over HTTP), with an API route behind `requireAuth()` that relays the upstream token.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import { decodeJwt } from 'jose'
import { createBff, type Bff, type BffOptions, type RequireAuthVariables } from '../src/index.js'
import { oidcLogin, type OidcLogin, type OidcLoginOptions } from '../src/oidc/index.js'
import { expect } from 'vitest'
import { authenticate } from './helpers.js'
import { Agent, loginAtIdp } from './oidc-idp.js'

export const SECRET = 'a-test-secret-of-at-least-thirty-two-characters'
export const CLIENT = { client_id: 'baton-bff', client_secret: 'bff-client-secret' }
/** The `events` claim of a back-channel logout token (Back-Channel Logout 1.0 §2.4). */
export const LOGOUT_EVENT = { 'http://schemas.openid.net/event/backchannel-logout': {} }

/** {@link CLIENT} as the provider registers it for the BFF on `served`, RP-initiated logout too. */
export const clientOf = (served: { origin: string; redirectUri: string }) => ({
  ...CLIENT,
  redirect_uris: [served.redirectUri],
  post_logout_redirect_uris: [`${served.origin}/signed-out`],
})

/** A port-bound server whose app is set once the provider it needs is known. */
export interface Served {
  origin: string
  redirectUri: string
  set(app: Hono): void
  close(): Promise<void>
}

export async function reserve(): Promise<Served> {
  let handler: Hono | null = null
  const server: Server = createServer((req, res) => {
    if (!handler) return void res.writeHead(503).end()
    void getRequestListener(handler.fetch)(req, res)
  })
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  )
  const origin = `http://127.0.0.1:${port}`
  return {
    origin,
    redirectUri: `${origin}/auth/oidc/callback`,
    set: (app) => void (handler = app),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export interface OidcApp {
  bff: Bff
  oidc: OidcLogin
  /** Every upstream access token `accessToken(c)` handed out. */
  relayed: string[]
}

/** Mounts a BFF with `oidcLogin()` on `served`, plus `GET /api/relay` using `accessToken(c)`. */
export function mountOidcBff(
  served: Served,
  issuer: string,
  options: {
    bff?: Partial<BffOptions>
    oidc?: Partial<OidcLoginOptions>
  } = {},
): OidcApp {
  const oidc = oidcLogin({
    issuer,
    clientId: CLIENT.client_id,
    clientSecret: CLIENT.client_secret,
    redirectUri: served.redirectUri,
    secret: SECRET,
    postLogoutRedirectUri: `${served.origin}/signed-out`,
    errorPath: '/login',
    mapUser: (claims) => ({
      id: `idp:${claims.sub}`,
      name: typeof claims['name'] === 'string' ? claims['name'] : claims.sub,
    }),
    ...options.oidc,
  })
  const bff = createBff({
    authenticate,
    logger: { warn: () => undefined, error: console.error },
    rateLimit: false,
    anomalies: false,
    ...options.bff,
    oidc,
  })
  const relayed: string[] = []
  const app = new Hono<{ Variables: RequireAuthVariables }>()
  app.route('/', bff)
  app.get('/api/me', bff.requireAuth(), (c) => c.json({ id: c.var.userId }))
  app.get('/api/sensitive', bff.requireAuth({ maxAge: '5m' }), (c) =>
    c.json({ authTime: c.var.authTime }),
  )
  app.get('/api/relay', bff.requireAuth(), async (c) => {
    const token = await oidc.accessToken(c)
    relayed.push(token)
    return c.json({ relayed: true })
  })
  served.set(app as unknown as Hono)
  return { bff, oidc, relayed }
}

/** The headers `POST {base}/logout` and `/refresh` need from a same-origin page. */
export const csrfFrom = (origin: string) => ({ 'x-csrf': '1', origin })

/** A browser signed in at `served` through the provider as `login`, by the plain link. */
export async function signInAtProvider(served: Served, login = 'carol') {
  const agent = new Agent()
  const start = await agent.request(`${served.origin}/auth/oidc/login?returnTo=/home`)
  expect(start.status).toBe(302)
  const at = start.headers.get('location')!
  const landed = await agent.request(await loginAtIdp(agent, at, served.redirectUri, login))
  return { agent, landed }
}

/** The stable `error.code` of an error answer. */
export const codeOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string } }).error.code

/** A Baton access token for the browser `agent` signed in at `served`, and its session id. */
export async function batonToken(served: Served, agent: Agent) {
  const res = await agent.request(`${served.origin}/auth/refresh`, {
    method: 'POST',
    headers: csrfFrom(served.origin),
  })
  expect(res.status).toBe(200)
  const { accessToken } = (await res.json()) as { accessToken: string }
  return { accessToken, sessionId: decodeJwt(accessToken)['sid'] as string }
}

/** A call of `served`'s API that relays the provider's access token (`oidc.accessToken(c)`). */
export const relay = (served: Served, accessToken: string) =>
  fetch(`${served.origin}/api/relay`, { headers: { authorization: `Bearer ${accessToken}` } })

/** `POST {base}/oidc/backchannel-logout` with `logoutToken`, as a provider delivers it. */
export const deliverLogoutToken = (origin: string, logoutToken: string) =>
  fetch(`${origin}/auth/oidc/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: logoutToken }),
  })

/** The provider at `issuer`'s answer to a refresh-token grant with `token`, as the BFF's client. */
export async function refreshGrantStatus(issuer: string, token: string): Promise<number> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${btoa(`${CLIENT.client_id}:${CLIENT.client_secret}`)}`,
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }),
  })
  await res.body?.cancel()
  return res.status
}

/** Polls until the provider refuses `token` (a revocation is not awaited), or gives up. */
export async function refusedWithin(issuer: string, token: string, ms = 2_000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if ((await refreshGrantStatus(issuer, token)) === 400) return true
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return false
}
