/**
 * Issue 16: sign-in through an OpenID provider, against a real `oidc-provider` on loopback. The
 * BFF is a confidential client: code + PKCE (S256) + PAR, state and nonce in an encrypted,
 * single-use transaction cookie, the Baton session started as a password login does, and the
 * provider's tokens kept on the server.
 */
import { calculatePKCECodeChallenge } from 'openid-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSealer } from '../src/oidc/seal.js'
import { oidcLogin } from '../src/oidc/index.js'
import { decodeJwt } from 'jose'
import { Agent, confirmLogoutAtIdp, loginAtIdp, startIdp, type TestIdp } from './oidc-idp.js'
import { hintOf } from './helpers.js'
import {
  CLIENT,
  clientOf,
  csrfFrom,
  mountOidcBff,
  reserve,
  SECRET,
  type OidcApp,
  type Served,
} from './oidc-harness.js'

const OTHER = { client_id: 'other-client', client_secret: 'other-client-secret' }

let idp: TestIdp
let served: Served
let app: OidcApp
/** Every response body and Set-Cookie the browser saw from the BFF. */
let seen: string[]

beforeAll(async () => {
  served = await reserve()
  idp = await startIdp({
    clients: [clientOf(served), { ...OTHER, redirect_uris: [served.redirectUri] }],
  })
  app = mountOidcBff(served, idp.issuer, {
    oidc: { fetch: (input, init) => swapFetch(input, init) },
  })
})
afterAll(async () => {
  await served?.close()
  await idp?.close()
})

// The provider's token response, with its ID token replaced when a test arms `swap`: a provider
// (or a network) handing over an ID token minted for another client or tampered with.
let swap: string | null = null
/** The bodies of the pushed authorization requests (PAR), as the BFF sent them. */
const pushedBodies: URLSearchParams[] = []
async function swapFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const url = String(input instanceof Request ? input.url : input)
  if (url.endsWith('/request') && init?.body instanceof URLSearchParams) {
    pushedBodies.push(new URLSearchParams(init.body))
  }
  const response = await fetch(input, init)
  if (swap === null || !url.endsWith('/token')) return response
  const body = (await response.json()) as Record<string, unknown>
  body['id_token'] = swap
  return Response.json(body, { status: response.status })
}

/** A BFF request through the agent, remembering what the browser saw. */
async function bffRequest(agent: Agent, path: string, init?: RequestInit) {
  const response = await agent.request(`${served.origin}${path}`, init)
  seen.push(...response.headers.getSetCookie(), await response.clone().text())
  return response
}

/** Starts a sign-in; returns the provider URL it redirects to. */
async function startLogin(agent: Agent, query = 'returnTo=%2Fdashboard%3Ftab%3D2') {
  const response = await bffRequest(agent, `/auth/oidc/login?${query}`)
  expect(response.status).toBe(302)
  return response.headers.get('location')!
}

/** The transaction the BFF sealed into the agent's cookie. */
async function transactionOf(agent: Agent) {
  const sealed = agent.cookies(served.origin).get('__Host-baton_oidc')!
  const claims = await createSealer([SECRET]).open('transaction', sealed, Date.now())
  return claims as { state: string; nonce: string; verifier: string }
}

/** An authorization request at the provider made by the test itself (for code injection). */
async function ownAuthorization(
  agent: Agent,
  clientId: string,
  t: { state: string; nonce: string; verifier: string },
) {
  const url = new URL(`${idp.issuer}/auth`)
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: served.redirectUri,
    state: t.state,
    nonce: t.nonce,
    code_challenge: await calculatePKCECodeChallenge(t.verifier),
    code_challenge_method: 'S256',
  }).toString()
  return loginAtIdp(agent, url.href, served.redirectUri)
}

const errorLocation = (code: string) => `/login?oidc_error=${code}`

describe('sign-in through the provider', () => {
  it('code + PKCE + PAR: the session starts, the cookies are set, returnTo is honoured', async () => {
    seen = []
    const agent = new Agent()
    const authorization = new URL(await startLogin(agent))
    // PAR: the front channel carries only the client id and the request_uri.
    expect(authorization.origin).toBe(idp.issuer)
    expect([...authorization.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri'])
    expect(agent.cookies(served.origin).has('__Host-baton_oidc')).toBe(true)

    const callback = await loginAtIdp(agent, authorization.href, served.redirectUri)
    const landed = await bffRequest(agent, new URL(callback).pathname + new URL(callback).search)
    expect(landed.status).toBe(302)
    expect(landed.headers.get('location')).toBe('/dashboard?tab=2')
    const jar = agent.cookies(served.origin)
    expect(jar.has('__Host-baton_oidc')).toBe(false)
    expect(jar.get('__Host-baton_rt')).toMatch(/^[A-Za-z0-9_-]{86}$/)
    expect(jar.get('baton_session')).toBe(hintOf(jar.get('__Host-baton_rt')!))

    const refreshed = await bffRequest(agent, '/auth/refresh', {
      method: 'POST',
      headers: csrfFrom(served.origin),
    })
    expect(refreshed.status).toBe(200)
    const grant = (await refreshed.json()) as { accessToken: string; user: unknown }
    expect(grant.user).toEqual({ id: 'idp:alice', name: 'alice' })
    const claims = decodeJwt(grant.accessToken)
    expect(claims.sub).toBe('idp:alice')
    // The provider did not say when alice signed in: not a fresh sign-in (next describe).
    expect(claims['auth_time']).toBe(0)

    // Token relay: the API gets the provider's access token; the browser never did.
    const relay = await bffRequest(agent, '/api/relay', {
      headers: { authorization: `Bearer ${grant.accessToken}` },
    })
    expect(relay.status).toBe(200)
    const upstream = app.relayed.at(-1)!
    expect(upstream.length).toBeGreaterThan(20)
    for (const text of seen) expect(text).not.toContain(upstream)
  })

  it('prompt and max_age travel to the provider (through PAR)', async () => {
    const agent = new Agent()
    const pushed: string[] = []
    idp.provider.on('pushed_authorization_request.success', (ctx: unknown) => {
      const params = (ctx as { oidc: { params: Record<string, unknown> } }).oidc.params
      pushed.push(`${String(params['prompt'])} ${String(params['max_age'])}`)
    })
    await startLogin(agent, 'returnTo=/&prompt=login&max_age=300')
    expect(pushed).toEqual(['login 300'])
  })
})

describe('auth_time: when the user proved who they are, as the provider says', () => {
  /** Signs in with `query` at the login URL; returns the access token of the first refresh. */
  async function tokenAfter(agent: Agent, query: string) {
    const callback = await loginAtIdp(agent, await startLogin(agent, query), served.redirectUri)
    expect(
      (await bffRequest(agent, new URL(callback).pathname + new URL(callback).search)).status,
    ).toBe(302)
    const refreshed = await bffRequest(agent, '/auth/refresh', {
      method: 'POST',
      headers: csrfFrom(served.origin),
    })
    expect(refreshed.status).toBe(200)
    return ((await refreshed.json()) as { accessToken: string }).accessToken
  }
  const sensitive = (agent: Agent, token: string) =>
    bffRequest(agent, '/api/sensitive', { headers: { authorization: `Bearer ${token}` } })

  it('an ID token without auth_time (a single sign-on session of any age) is not a fresh sign-in', async () => {
    const agent = new Agent()
    const token = await tokenAfter(agent, 'returnTo=/')
    expect(decodeJwt(token)['auth_time']).toBe(0)
    const refused = await sensitive(agent, token)
    expect(refused.status).toBe(401)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'step_up_required',
    )
  })

  it('a step-up with prompt=login asks for max_age=0 too, and its auth_time makes the session fresh', async () => {
    const agent = new Agent()
    await tokenAfter(agent, 'returnTo=/')
    const before = Math.floor(Date.now() / 1000)
    const token = await tokenAfter(agent, 'returnTo=/&prompt=login')
    const pushed = pushedBodies.at(-1)!
    expect([pushed.get('prompt'), pushed.get('max_age')]).toEqual(['login', '0'])
    const authTime = decodeJwt(token)['auth_time'] as number
    expect(authTime).toBeGreaterThanOrEqual(before - 1)
    expect(authTime).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000))
    const passed = await sensitive(agent, token)
    expect(passed.status).toBe(200)
    expect(await passed.json()).toEqual({ authTime: authTime * 1000 })
  })
})

describe('refused sign-ins land on the error page with a stable code', () => {
  it.each([
    ['//evil.example/x'],
    ['https://evil.example/'],
    ['/\\evil.example'],
    ['javascript:alert(1)'],
    // Dot segments collapse these into the scheme-relative `//evil.example` once normalised.
    ['/.//evil.example/phish'],
    ['/..//evil.example/phish'],
    ['/a/..//evil.example/phish'],
    ['/%0d%0aSet-Cookie:x=1'],
  ])('an open redirect is refused: returnTo=%s', async (returnTo) => {
    const agent = new Agent()
    const response = await agent.request(
      `${served.origin}/auth/oidc/login?returnTo=${encodeURIComponent(returnTo)}`,
    )
    expect(response.status).toBe(302)
    const location = response.headers.get('location')!
    // `/%0d%0a…` is a path on this origin, percent-encoded: harmless, so it is let through as is.
    if (returnTo.startsWith('/%')) expect(new URL(location).origin).toBe(idp.issuer)
    else expect(location).toBe(errorLocation('invalid_request'))
  })

  it('prompt=none with another value: invalid_request, not provider_error', async () => {
    const response = await new Agent().request(
      `${served.origin}/auth/oidc/login?returnTo=/&prompt=none%20consent`,
    )
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(errorLocation('invalid_request'))
  })

  it('a callback whose state differs from the transaction: invalid_state', async () => {
    const agent = new Agent()
    const callback = new URL(await loginAtIdp(agent, await startLogin(agent), served.redirectUri))
    callback.searchParams.set('state', 'forged-state')
    const response = await agent.request(callback.href)
    expect(response.headers.get('location')).toBe(errorLocation('invalid_state'))
    expect(agent.cookies(served.origin).has('__Host-baton_rt')).toBe(false)
  })

  it('a callback without the transaction cookie (another browser): invalid_state', async () => {
    const agent = new Agent()
    const callback = await loginAtIdp(agent, await startLogin(agent), served.redirectUri)
    const response = await new Agent().request(callback)
    expect(response.headers.get('location')).toBe(errorLocation('invalid_state'))
  })

  it('a replayed callback (same cookie, same code): replayed, and no second session', async () => {
    const agent = new Agent()
    const callback = await loginAtIdp(agent, await startLogin(agent), served.redirectUri)
    const cookie = agent.cookies(served.origin).get('__Host-baton_oidc')!
    const first = await agent.request(callback)
    expect(first.headers.get('location')).toBe('/dashboard?tab=2')
    const thief = new Agent()
    thief.cookies(served.origin).set('__Host-baton_oidc', cookie)
    const replay = await thief.request(callback)
    expect(replay.headers.get('location')).toBe(errorLocation('replayed'))
    expect(thief.cookies(served.origin).has('__Host-baton_rt')).toBe(false)
  })

  it('the user refuses at the provider: access_denied', async () => {
    const agent = new Agent()
    await startLogin(agent)
    const { state } = await transactionOf(agent)
    const url = `${served.redirectUri}?error=access_denied&state=${state}&iss=${encodeURIComponent(idp.issuer)}`
    const response = await agent.request(url)
    expect(response.headers.get('location')).toBe(errorLocation('access_denied'))
  })

  it('an ID token whose nonce is not the transaction’s: invalid_id_token', async () => {
    const agent = new Agent()
    await startLogin(agent)
    const transaction = await transactionOf(agent)
    // A code the provider really issued, for this client and this PKCE verifier, with another nonce.
    const callback = await ownAuthorization(agent, CLIENT.client_id, {
      ...transaction,
      nonce: 'another-nonce',
    })
    const response = await agent.request(callback)
    expect(response.headers.get('location')).toBe(errorLocation('invalid_id_token'))
    expect(agent.cookies(served.origin).has('__Host-baton_rt')).toBe(false)
  })

  it('a code issued to another client is refused by the provider: token_exchange_failed', async () => {
    const agent = new Agent()
    await startLogin(agent)
    const callback = await ownAuthorization(agent, OTHER.client_id, await transactionOf(agent))
    const response = await agent.request(callback)
    expect(response.headers.get('location')).toBe(errorLocation('token_exchange_failed'))
  })

  /** A real ID token of the provider, for the other client, with the nonce the BFF expects. */
  async function idTokenForOtherClient(
    agent: Agent,
    transaction: { state: string; nonce: string; verifier: string },
  ) {
    const callback = new URL(await ownAuthorization(agent, OTHER.client_id, transaction))
    const token = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa(`${OTHER.client_id}:${OTHER.client_secret}`)}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: callback.searchParams.get('code')!,
        redirect_uri: served.redirectUri,
        code_verifier: transaction.verifier,
      }),
    })
    return ((await token.json()) as { id_token: string }).id_token
  }

  it('an ID token minted for another audience: invalid_id_token', async () => {
    const agent = new Agent()
    const authorization = await startLogin(agent)
    const transaction = await transactionOf(agent)
    swap = await idTokenForOtherClient(new Agent(), transaction)
    try {
      const callback = await loginAtIdp(agent, authorization, served.redirectUri)
      const response = await agent.request(callback)
      expect(response.headers.get('location')).toBe(errorLocation('invalid_id_token'))
    } finally {
      swap = null
    }
  })

  it('an ID token with a broken signature: invalid_id_token', async () => {
    const agent = new Agent()
    const authorization = await startLogin(agent)
    const transaction = await transactionOf(agent)
    const other = await idTokenForOtherClient(new Agent(), transaction)
    // The other client's token with this client's audience written in: the signature no longer holds.
    const [header, payload, signature] = other.split('.')
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<
      string,
      unknown
    >
    claims['aud'] = CLIENT.client_id
    swap = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`
    try {
      const callback = await loginAtIdp(agent, authorization, served.redirectUri)
      const response = await agent.request(callback)
      expect(response.headers.get('location')).toBe(errorLocation('invalid_id_token'))
    } finally {
      swap = null
    }
  })

  it('mapUser returning null: user_refused', async () => {
    const refusing = await reserve()
    const agent = new Agent()
    try {
      mountOidcBff(refusing, idp.issuer, {
        oidc: { mapUser: () => null, redirectUri: served.redirectUri },
      })
      const response = await agent.request(`${refusing.origin}/auth/oidc/login?returnTo=/`)
      const callback = await loginAtIdp(
        agent,
        response.headers.get('location')!,
        served.redirectUri,
      )
      const cookie = agent.cookies(refusing.origin).get('__Host-baton_oidc')!
      agent.cookies(served.origin).set('__Host-baton_oidc', cookie)
      const landed = await agent.request(callback.replace(served.origin, refusing.origin))
      expect(landed.headers.get('location')).toBe(errorLocation('user_refused'))
    } finally {
      await refusing.close()
    }
  })

  it('a provider that is down: provider_unavailable, not a 500', async () => {
    const down = await reserve()
    try {
      mountOidcBff(down, 'http://127.0.0.1:9/', {})
      const response = await new Agent().request(`${down.origin}/auth/oidc/login?returnTo=/`)
      expect(response.status).toBe(302)
      expect(response.headers.get('location')).toBe(errorLocation('provider_unavailable'))
    } finally {
      await down.close()
    }
  })
})

describe('RP-initiated logout', () => {
  it('POST /logout, then GET /oidc/logout: the provider ends its session too', async () => {
    const agent = new Agent()
    const callback = await loginAtIdp(agent, await startLogin(agent), served.redirectUri)
    await agent.request(callback)
    const out = await agent.request(`${served.origin}/auth/logout`, {
      method: 'POST',
      headers: csrfFrom(served.origin),
    })
    expect(out.status).toBe(204)
    expect(agent.cookies(served.origin).has('__Host-baton_rt')).toBe(false)
    expect(agent.cookies(served.origin).has('__Host-baton_oidc_end')).toBe(true)
    // The page's cue (readable, nothing secret) that the navigation has a provider session to end.
    const marker = out.headers.getSetCookie().find((c) => c.startsWith('baton_oidc_end_hint='))
    expect(marker).toBe('baton_oidc_end_hint=1; Max-Age=120; Path=/; Secure; SameSite=Strict')

    const navigate = await agent.request(`${served.origin}/auth/oidc/logout`)
    expect(navigate.status).toBe(302)
    expect(agent.cookies(served.origin).has('baton_oidc_end_hint')).toBe(false)
    const endSession = new URL(navigate.headers.get('location')!)
    expect(endSession.origin + endSession.pathname).toBe(`${idp.issuer}/session/end`)
    expect(endSession.searchParams.get('post_logout_redirect_uri')).toBe(
      `${served.origin}/signed-out`,
    )
    expect(endSession.searchParams.get('id_token_hint')).toMatch(/^ey/)
    const confirmed = await confirmLogoutAtIdp(agent, endSession.href)
    const back = await agent.follow(
      new URL(confirmed.headers.get('location')!, idp.issuer).href,
      served.origin,
    )
    expect(back.url).toBe(`${served.origin}/signed-out`)

    // The provider forgot the user: the next sign-in asks for the login again.
    const again = await agent.follow(await startLogin(agent), served.redirectUri)
    expect(again.url).toMatch(/\/interaction\//)
    // The ticket was single use.
    const twice = await agent.request(`${served.origin}/auth/oidc/logout`)
    expect(twice.headers.get('location')).toBe(`${served.origin}/signed-out`)
  })
})

describe('options are checked at start-up', () => {
  const valid = {
    issuer: 'https://login.example.com',
    clientId: 'c',
    clientSecret: 's',
    redirectUri: 'https://app.example.com/auth/oidc/callback',
    mapUser: () => null,
  }
  it.each([
    [
      { issuer: 'http://login.example.com' },
      'oidcLogin: issuer must be https: (or http: on a loopback address), got "http://login.example.com"',
    ],
    [{ clientId: '' }, 'oidcLogin: clientId must be a non-empty string'],
    [
      { clientSecret: undefined },
      'oidcLogin: give exactly one of clientSecret and clientPrivateKey (a confidential client)',
    ],
    [
      { redirectUri: '/auth/oidc/callback' },
      'oidcLogin: redirectUri must be an absolute URL, got "/auth/oidc/callback"',
    ],
    [{ scopes: ['profile'] }, 'oidcLogin: scopes must include "openid"'],
    [{ mapUser: 'nope' }, 'oidcLogin: mapUser must be a function'],
    [
      { secret: 'short' },
      'oidcLogin: secret must be a string of at least 32 characters, or a non-empty list of them',
    ],
    [
      { errorPath: '//evil.example' },
      'oidcLogin: errorPath must be a path starting with "/" (no query), got "//evil.example"',
    ],
  ])('%o', (override, message) => {
    expect(() => oidcLogin({ ...valid, ...override } as never)).toThrow(new TypeError(message))
  })
})
