/**
 * A real OpenID provider for the OpenID Connect tests: panva's `oidc-provider` on 127.0.0.1 on an
 * ephemeral port, with its development login form (any login name signs in), consent granted
 * silently, PAR, refresh tokens, RP-initiated and back-channel logout; plus a small browser-like
 * agent (a cookie jar and manual redirects) that signs in through it.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose'
import Provider, { type OidcContext } from 'oidc-provider'

/** A client registered at the test provider. */
export interface TestClient {
  client_id: string
  /** Absent for a client that authenticates with `private_key_jwt`. */
  client_secret?: string
  redirect_uris: string[]
  post_logout_redirect_uris?: string[]
  backchannel_logout_uri?: string
  token_endpoint_auth_method?: 'client_secret_basic' | 'private_key_jwt'
  /** The client's public keys, for `private_key_jwt`. */
  jwks?: { keys: Record<string, unknown>[] }
}

export interface TestIdp {
  issuer: string
  provider: Provider
  /** How many refresh-token grants the provider served. */
  refreshGrants(): number
  /** Signs a JWT with the provider's own key (for forged-but-validly-signed logout tokens). */
  sign(payload: JWTPayload, header?: { typ?: string; kid?: string }): Promise<string>
  close(): Promise<void>
}

const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  )

export async function startIdp(options: {
  clients: TestClient[]
  accessTokenTtl?: number
  /**
   * Refresh tokens live on whatever becomes of the provider's session (as `offline_access` ones
   * do, or any at providers that tie them to the grant alone). By default they end with it, and
   * with a new sign-in in that session, which gets a new grant here.
   */
  refreshTokensOutliveSession?: boolean
}): Promise<TestIdp> {
  const server = createServer()
  const port = await listen(server)
  const issuer = `http://127.0.0.1:${port}`
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' }
  let refreshes = 0

  const provider = new Provider(issuer, {
    clients: options.clients.map((client) => ({
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      backchannel_logout_session_required: true,
      ...client,
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: ['oidc-test-cookie-key'] },
    features: {
      devInteractions: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      revocation: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
    },
    pkce: { required: () => true },
    claims: { openid: ['sub', 'sid'], profile: ['name'], email: ['email'] },
    ttl: { AccessToken: options.accessTokenTtl ?? 3600, IdToken: 3600, Session: 3600 },
    ...(options.refreshTokensOutliveSession ? { expiresWithSession: () => false } : {}),
    findAccount: (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: () => ({ sub: id, name: id, email: `${id}@example.test` }),
    }),
    // Refresh tokens without `offline_access` (and so without the consent prompt it brings).
    issueRefreshToken: () => true,
    // Consent granted silently, so a sign-in is one login form.
    async loadExistingGrant(ctx: OidcContext) {
      const { client, session, params, provider: op } = ctx.oidc
      const grant = new op.Grant({ clientId: client!.clientId, accountId: session!.accountId! })
      const scope = params?.['scope']
      grant.addOIDCScope(typeof scope === 'string' ? scope : 'openid')
      await grant.save()
      return grant
    },
  })
  provider.on('grant.success', (ctx: unknown) => {
    const params = (ctx as OidcContext).oidc.params
    if (params?.['grant_type'] === 'refresh_token') refreshes++
  })
  // The development interactions log a warning on every start; tests know.
  server.on('request', provider.callback())

  return {
    issuer,
    provider,
    refreshGrants: () => refreshes,
    sign: (payload, header = {}) =>
      new SignJWT(payload)
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key', ...header })
        .sign(privateKey),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A browser in miniature: one cookie jar per origin, redirects followed by hand. */
export class Agent {
  readonly #jar = new Map<string, Map<string, string>>()

  cookies(url: string): Map<string, string> {
    const origin = new URL(url).origin
    let jar = this.#jar.get(origin)
    if (!jar) this.#jar.set(origin, (jar = new Map<string, string>()))
    return jar
  }

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const jar = this.cookies(url)
    const headers = new Headers(init.headers)
    if (jar.size > 0) {
      headers.set('cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '))
    }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';')
      const separator = pair!.indexOf('=')
      const name = pair!.slice(0, separator).trim()
      const value = pair!.slice(separator + 1).trim()
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === ''
      if (expired) jar.delete(name)
      else jar.set(name, value)
    }
    return response
  }

  /** Follows redirects from `url` until an answer that is not one, or one leaving for `stopAt`. */
  async follow(url: string, stopAt?: string): Promise<{ url: string; response: Response }> {
    let current = url
    for (let hop = 0; hop < 20; hop++) {
      if (stopAt && current.startsWith(stopAt))
        return { url: current, response: new Response(null) }
      const response = await this.request(current)
      const location = response.headers.get('location')
      if (response.status < 300 || response.status > 399 || !location)
        return { url: current, response }
      current = new URL(location, current).href
    }
    throw new Error('too many redirects')
  }
}

/**
 * Signs `login` in at the provider from an authorization URL and returns the callback URL the
 * provider redirects to (not yet followed, so a test can tamper with or replay it).
 */
export async function loginAtIdp(
  agent: Agent,
  authorizationUrl: string,
  redirectUri: string,
  login = 'alice',
): Promise<string> {
  const { url, response } = await agent.follow(authorizationUrl, redirectUri)
  if (url.startsWith(redirectUri)) return url // already signed in at the provider
  if (!/\/interaction\//.test(url))
    throw new Error(`expected the login form, got ${url} ${response.status}`)
  await response.text()
  const submitted = await agent.request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ prompt: 'login', login, password: 'any' }).toString(),
  })
  const next = new URL(submitted.headers.get('location')!, url).href
  const done = await agent.follow(next, redirectUri)
  if (!done.url.startsWith(redirectUri)) {
    throw new Error(`expected the callback, got ${done.url}: ${await done.response.text()}`)
  }
  return done.url
}

/** Confirms the provider's RP-initiated logout page (its form with the `xsrf` secret). */
export async function confirmLogoutAtIdp(agent: Agent, endSessionUrl: string): Promise<Response> {
  const page = await agent.request(endSessionUrl)
  const html = await page.text()
  const action = /action="([^"]+)"/.exec(html)?.[1]
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1]
  if (!action || !xsrf)
    throw new Error(`expected the logout form, got ${page.status}: ${html.slice(0, 200)}`)
  return agent.request(new URL(action, endSessionUrl).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
  })
}
