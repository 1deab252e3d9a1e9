/**
 * Issue 16, the rest of the server side, against a real `oidc-provider` on loopback: a BFF with
 * OpenID Connect only (no `authenticate`), the per-IP rate limits of the OpenID routes,
 * `provider_unavailable` when the provider cannot be reached, back-channel logout as
 * `provider_logout` (and the logout tokens it refuses), `private_key_jwt` client authentication,
 * and ID tokens from another issuer.
 */
import { decodeJwt, exportJWK, generateKeyPair } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createBff,
  createSigningKeys,
  memoryStore,
  type BffEvent,
  type SessionStore,
} from '../src/index.js'
import { oidcLogin } from '../src/oidc/index.js'
import { createSealer } from '../src/oidc/seal.js'
import { Agent, loginAtIdp, startIdp, type TestIdp } from './oidc-idp.js'
import {
  CLIENT,
  codeOf,
  csrfFrom,
  deliverLogoutToken,
  LOGOUT_EVENT,
  mountOidcBff,
  reserve,
  SECRET,
  signInAtProvider,
  type Served,
} from './oidc-harness.js'

const errorLocation = (code: string) => `/login?oidc_error=${code}`
let idp: TestIdp
/** Every BFF of this file, one port each, all registered at `idp`. */
const servers: Served[] = []
const redirectUris: string[] = []

async function server(): Promise<Served> {
  const served = await reserve()
  servers.push(served)
  return served
}

// Ports are reserved first, so the provider knows every redirect URI it must accept.
let onlyOidc: Served
let limited: Served
let relay: Served
let pkjwt: Served
let wrongKey: Served
let swapped: Served

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>
let clientKeys: KeyPair
let otherKeys: KeyPair

beforeAll(async () => {
  for (const name of ['onlyOidc', 'limited', 'relay', 'pkjwt', 'wrongKey', 'swapped'] as const) {
    const served = await server()
    redirectUris.push(served.redirectUri)
    if (name === 'onlyOidc') onlyOidc = served
    if (name === 'limited') limited = served
    if (name === 'relay') relay = served
    if (name === 'pkjwt') pkjwt = served
    if (name === 'wrongKey') wrongKey = served
    if (name === 'swapped') swapped = served
  }
  clientKeys = await generateKeyPair('ES256', { extractable: true })
  otherKeys = await generateKeyPair('ES256', { extractable: true })
  const publicJwk = { ...(await exportJWK(clientKeys.publicKey)), kid: 'bff-key', alg: 'ES256' }
  idp = await startIdp({
    clients: [
      { ...CLIENT, redirect_uris: redirectUris },
      {
        client_id: 'baton-bff-pkjwt',
        redirect_uris: redirectUris,
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [publicJwk] },
      },
    ],
  })
})
afterAll(async () => {
  for (const served of servers) await served.close()
  await idp?.close()
})

/** Signs in at `served` through the provider; returns the agent, the landing and an access token. */
async function signIn(served: Served, login = 'carol') {
  const { agent, landed } = await signInAtProvider(served, login)
  const refreshed = await agent.request(`${served.origin}/auth/refresh`, {
    method: 'POST',
    headers: csrfFrom(served.origin),
  })
  const accessToken =
    refreshed.status === 200
      ? ((await refreshed.json()) as { accessToken: string }).accessToken
      : null
  return { agent, landed, accessToken }
}

describe('a BFF with OpenID Connect only (no authenticate)', () => {
  beforeAll(() => {
    mountOidcBff(onlyOidc, idp.issuer, { bff: { authenticate: undefined } as never })
  })

  it.each([
    ['a valid body', JSON.stringify({ username: 'alice', password: 'secret' })],
    ['a malformed body', '{'],
    ['no body', undefined],
  ])('POST /login answers 404 not_found, never 500 (%s)', async (_, body) => {
    const res = await fetch(`${onlyOidc.origin}/auth/login`, {
      method: 'POST',
      headers: { ...csrfFrom(onlyOidc.origin), 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body }),
    })
    expect(res.status).toBe(404)
    expect(await codeOf(res)).toBe('not_found')
    expect(res.headers.getSetCookie()).toEqual([])
  })

  it('POST /reauthenticate answers 404 not_found too (step-up goes through the provider)', async () => {
    const res = await fetch(`${onlyOidc.origin}/auth/reauthenticate`, {
      method: 'POST',
      headers: { ...csrfFrom(onlyOidc.origin), 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'secret' }),
    })
    expect(res.status).toBe(404)
    expect(await codeOf(res)).toBe('not_found')
  })

  it('signs in through the provider, refreshes and signs out', async () => {
    const { agent, landed, accessToken } = await signIn(onlyOidc)
    expect(landed.headers.get('location')).toBe('/home')
    expect(decodeJwt(accessToken!).sub).toBe('idp:carol')
    const out = await agent.request(`${onlyOidc.origin}/auth/logout`, {
      method: 'POST',
      headers: csrfFrom(onlyOidc.origin),
    })
    expect(out.status).toBe(204)
  })
})

describe('rate limits on the OpenID routes, per client IP', () => {
  const events: BffEvent[] = []
  beforeAll(() => {
    mountOidcBff(limited, idp.issuer, {
      bff: {
        rateLimit: {
          oidcLogin: { points: 2, duration: '1m' },
          oidcCallback: { points: 1, duration: '1m' },
          backchannelLogout: { points: 1, duration: '1m' },
        },
        onEvent: (event) => void events.push(event),
      },
    })
  })

  it('GET /oidc/login: past the budget the navigation lands on oidc_error=rate_limited', async () => {
    const agent = new Agent()
    const url = `${limited.origin}/auth/oidc/login?returnTo=/`
    expect(new URL((await agent.request(url)).headers.get('location')!).origin).toBe(idp.issuer)
    expect(new URL((await agent.request(url)).headers.get('location')!).origin).toBe(idp.issuer)
    const third = await agent.request(url)
    expect(third.status).toBe(302)
    expect(third.headers.get('location')).toBe(errorLocation('rate_limited'))
    expect(events.filter((e) => e.type === 'rate_limited')).toMatchObject([
      { type: 'rate_limited', route: 'oidcLogin', key: 'ip', ip: '127.0.0.1' },
    ])
    expect(events.filter((e) => e.type === 'oidc_login_failed')).toMatchObject([
      { type: 'oidc_login_failed', code: 'rate_limited' },
    ])
  })

  it('GET /oidc/callback: a second callback from the address is refused before any exchange', async () => {
    const first = await new Agent().request(`${limited.redirectUri}?code=x&state=y`)
    expect(first.headers.get('location')).toBe(errorLocation('invalid_state'))
    const second = await new Agent().request(`${limited.redirectUri}?code=x&state=y`)
    expect(second.headers.get('location')).toBe(errorLocation('rate_limited'))
  })

  it('POST /oidc/backchannel-logout: 429 rate_limited with Retry-After', async () => {
    const post = () => deliverLogoutToken(limited.origin, 'not-a-jwt')
    const first = await post()
    expect(first.status).toBe(400)
    const second = await post()
    expect(second.status).toBe(429)
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(await codeOf(second)).toBe('rate_limited')
  })

  it('each route has its own budget, with defaults when rateLimit is on', async () => {
    const { normalizeRateLimit } = await import('../src/rate-limit/options.js')
    expect(normalizeRateLimit(undefined)?.ip).toMatchObject({
      oidcLogin: { points: 30, durationSec: 60 },
      oidcCallback: { points: 30, durationSec: 60 },
      backchannelLogout: { points: 600, durationSec: 60 },
    })
    expect(normalizeRateLimit({ oidcLogin: false })?.ip.oidcLogin).toBeNull()
  })
})

describe('the provider cannot be reached: 503 provider_unavailable, never a 500', () => {
  it('accessToken(c) when the upstream token is due and the provider is down', async () => {
    const down = await startIdp({ clients: [{ ...CLIENT, redirect_uris: [relay.redirectUri] }] })
    let offset = 0
    mountOidcBff(relay, down.issuer, { bff: { now: () => Date.now() + offset } })
    const { agent } = await signIn(relay)
    await down.close()
    offset = 2 * 3_600_000 // the provider's access token (1 h) is due for a refresh
    // A Baton refresh needs no provider: only the upstream refresh behind accessToken(c) does.
    const refreshed = await agent.request(`${relay.origin}/auth/refresh`, {
      method: 'POST',
      headers: csrfFrom(relay.origin),
    })
    expect(refreshed.status).toBe(200)
    const { accessToken } = (await refreshed.json()) as { accessToken: string }
    const res = await fetch(`${relay.origin}/api/relay`, {
      headers: { authorization: `Bearer ${accessToken}` },
    })
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('1')
    expect(await codeOf(res)).toBe('provider_unavailable')
    // Passing trouble: the session goes on.
    const again = await agent.request(`${relay.origin}/auth/refresh`, {
      method: 'POST',
      headers: csrfFrom(relay.origin),
    })
    expect(again.status).toBe(200)
  })

  it('back-channel logout while the provider (its discovery) is down', async () => {
    const served = await server()
    mountOidcBff(served, 'http://127.0.0.1:9/')
    const res = await deliverLogoutToken(served.origin, 'a.b.c')
    expect(res.status).toBe(503)
    expect(await codeOf(res)).toBe('provider_unavailable')
  })
})

describe('back-channel logout', () => {
  it('revokes with reason provider_logout and reports one provider_logout event', async () => {
    const served = await server()
    const provider = await startIdp({
      clients: [{ ...CLIENT, redirect_uris: [served.redirectUri] }],
    })
    const events: BffEvent[] = []
    try {
      mountOidcBff(served, provider.issuer, { bff: { onEvent: (e) => void events.push(e) } })
      const first = await signIn(served, 'dave')
      const second = await signIn(served, 'dave')
      const sessionIds = [first.accessToken!, second.accessToken!].map(
        (token) => decodeJwt(token)['sid'] as string,
      )
      const iat = Math.floor(Date.now() / 1000)
      const token = await provider.sign(
        {
          iss: provider.issuer,
          aud: CLIENT.client_id,
          iat,
          exp: iat + 120,
          sub: 'dave',
          jti: 'bc-1',
          events: LOGOUT_EVENT,
        },
        { typ: 'logout+jwt' },
      )
      const res = await deliverLogoutToken(served.origin, token)
      expect(res.status).toBe(200)
      const revoked = events.filter((e) => e.type === 'revoked')
      expect(revoked.map((e) => (e.type === 'revoked' ? e.reason : null))).toEqual([
        'provider_logout',
        'provider_logout',
      ])
      const logout = events.filter((e) => e.type === 'provider_logout')
      expect(logout).toHaveLength(1)
      expect(logout[0]).toMatchObject({ sid: null, sub: 'dave', ip: '127.0.0.1' })
      expect([...(logout[0] as { sessionIds: string[] }).sessionIds].sort()).toEqual(
        [...sessionIds].sort(),
      )
      const refresh = await first.agent.request(`${served.origin}/auth/refresh`, {
        method: 'POST',
        headers: csrfFrom(served.origin),
      })
      expect(refresh.status).toBe(401)
      expect(await codeOf(refresh)).toBe('session_revoked')
    } finally {
      await provider.close()
    }
  })

  // Back-Channel Logout 1.0 incorporating errata set 1: §2.4 makes `exp` REQUIRED and `sid` a
  // String; §2.6 step 4 checks iss, aud, iat and exp as for ID tokens (Core §3.1.3.7: an `azp`
  // present must be the client's id); a token failing any step is answered 400.
  describe('logout tokens the spec says to reject', () => {
    let served: Served
    let provider: TestIdp
    beforeAll(async () => {
      served = await server()
      provider = await startIdp({ clients: [{ ...CLIENT, redirect_uris: [served.redirectUri] }] })
      mountOidcBff(served, provider.issuer)
    })
    afterAll(async () => {
      await provider?.close()
    })

    const signedIn = async (login: string) => {
      const { agent, landed } = await signIn(served, login)
      expect(landed.headers.get('location')).toBe('/home')
      return agent
    }
    const refreshStatus = async (agent: Agent) =>
      (
        await agent.request(`${served.origin}/auth/refresh`, {
          method: 'POST',
          headers: csrfFrom(served.origin),
        })
      ).status
    const deliver = (token: string) => deliverLogoutToken(served.origin, token)
    const now = () => Math.floor(Date.now() / 1000)
    /** A logout token the provider signs: valid but for what `claims` change. */
    const logoutToken = (claims: Record<string, unknown>, header: object = {}) =>
      provider.sign(
        {
          iss: provider.issuer,
          aud: CLIENT.client_id,
          iat: now(),
          exp: now() + 120,
          events: LOGOUT_EVENT,
          ...claims,
        },
        { typ: 'logout+jwt', ...header },
      )

    it('a logout token without exp is refused with 400 invalid_request (exp is REQUIRED)', async () => {
      // Before: accepted (200), and the session ended.
      const agent = await signedIn('noexp-user')
      const token = await logoutToken({ exp: undefined, sub: 'noexp-user', jti: 'review-noexp' })
      const res = await deliver(token)
      expect(res.status).toBe(400)
      expect(await codeOf(res)).toBe('invalid_request')
      expect(await refreshStatus(agent)).toBe(200)
    })

    it('control: the same token with exp ends the session', async () => {
      const agent = await signedIn('withexp-user')
      const token = await logoutToken({ sub: 'withexp-user', jti: 'review-withexp' })
      expect((await deliver(token)).status).toBe(200)
      expect(await refreshStatus(agent)).toBe(401)
    })

    it('sid: null is not a String: refused, not widened into a sub-wide logout of every session', async () => {
      // Before: `sid: null` read as absent: 200, and both of the user's sessions ended.
      const first = await signedIn('nullsid-user')
      const second = await signedIn('nullsid-user')
      const token = await logoutToken({ sub: 'nullsid-user', sid: null, jti: 'review-nullsid' })
      const res = await deliver(token)
      expect(res.status).toBe(400)
      expect(await codeOf(res)).toBe('invalid_request')
      expect([await refreshStatus(first), await refreshStatus(second)]).toEqual([200, 200])
    })

    it('an azp naming another client is refused, as the BFF refuses such an ID token', async () => {
      // Before: accepted (200), and the session ended by a token issued to another client.
      const agent = await signedIn('azp-user')
      const token = await logoutToken({
        aud: [CLIENT.client_id, 'other-client'],
        azp: 'other-client',
        sub: 'azp-user',
        jti: 'review-azp',
      })
      const res = await deliver(token)
      expect(res.status).toBe(400)
      expect(await codeOf(res)).toBe('invalid_request')
      expect(await refreshStatus(agent)).toBe(200)
    })

    it('a token whose kid is not a string is a bad token (400), not a provider outage (503)', async () => {
      // Before: 503 provider_unavailable (jose's "no matching key"), so the provider kept retrying.
      const token = await provider.sign(
        {
          iss: provider.issuer,
          aud: CLIENT.client_id,
          iat: now(),
          exp: now() + 120,
          sub: 'anyone',
          jti: 'review-kid',
          events: LOGOUT_EVENT,
        },
        { typ: 'logout+jwt', kid: { not: 'a string' } } as never,
      )
      const res = await deliver(token)
      expect({ status: res.status, code: await codeOf(res) }).toEqual({
        status: 400,
        code: 'invalid_request',
      })
    })
  })
})

describe('private_key_jwt client authentication (RFC 7523)', () => {
  it('signs in with the registered key: PAR and the token request are authenticated by it', async () => {
    mountOidcBff(pkjwt, idp.issuer, {
      oidc: {
        clientId: 'baton-bff-pkjwt',
        clientSecret: undefined,
        clientPrivateKey: { key: clientKeys.privateKey, kid: 'bff-key' },
      },
    })
    const { landed, accessToken } = await signIn(pkjwt)
    expect(landed.headers.get('location')).toBe('/home')
    expect(decodeJwt(accessToken!).sub).toBe('idp:carol')
  })

  it('a key the provider does not know is refused: no authorization request is even pushed', async () => {
    mountOidcBff(wrongKey, idp.issuer, {
      oidc: {
        clientId: 'baton-bff-pkjwt',
        clientSecret: undefined,
        clientPrivateKey: { key: otherKeys.privateKey, kid: 'bff-key' },
      },
    })
    const res = await new Agent().request(`${wrongKey.origin}/auth/oidc/login?returnTo=/`)
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe(errorLocation('provider_error'))
  })
})

describe('an ID token from another issuer is refused: invalid_id_token', () => {
  let other: TestIdp
  let swap: ((body: Record<string, unknown>) => Promise<void>) | null = null
  beforeAll(async () => {
    other = await startIdp({ clients: [{ ...CLIENT, redirect_uris: [swapped.redirectUri] }] })
    mountOidcBff(swapped, idp.issuer, {
      oidc: {
        // The provider's token response, with its ID token replaced while `swap` is armed.
        fetch: async (input, init) => {
          const response = await fetch(input, init)
          const url = String(input instanceof Request ? input.url : input)
          if (swap === null || !url.endsWith('/token')) return response
          const body = (await response.json()) as Record<string, unknown>
          await swap(body)
          return Response.json(body, { status: response.status })
        },
      },
    })
  })
  afterAll(async () => {
    await other?.close()
  })

  /** Runs a sign-in whose ID token `forge` rewrites; returns where the callback sent the browser. */
  async function signInWith(forge: (claims: Record<string, unknown>) => Promise<string>) {
    const agent = new Agent()
    const start = await agent.request(`${swapped.origin}/auth/oidc/login?returnTo=/`)
    const sealed = agent.cookies(swapped.origin).get('__Host-baton_oidc')!
    const { nonce } = (await createSealer([SECRET]).open('transaction', sealed, Date.now())) as {
      nonce: string
    }
    swap = async (body) => {
      const genuine = decodeJwt(body['id_token'] as string)
      body['id_token'] = await forge({ ...genuine, nonce })
    }
    try {
      const callback = await loginAtIdp(agent, start.headers.get('location')!, swapped.redirectUri)
      const landed = await agent.request(callback)
      const signedIn = agent.cookies(swapped.origin).has('__Host-baton_rt')
      return `${landed.headers.get('location')} ${signedIn ? 'signed in' : 'signed out'}`
    } finally {
      swap = null
    }
  }

  it('signed by the other provider, naming itself as issuer', async () => {
    const location = await signInWith((claims) => other.sign({ ...claims, iss: other.issuer }))
    expect(location).toBe(`${errorLocation('invalid_id_token')} signed out`)
  })

  it('signed by the other provider, claiming to be the expected issuer', async () => {
    const location = await signInWith((claims) => other.sign({ ...claims, iss: idp.issuer }))
    expect(location).toBe(`${errorLocation('invalid_id_token')} signed out`)
  })

  it('signed by the expected provider, with another iss', async () => {
    const location = await signInWith((claims) => idp.sign({ ...claims, iss: other.issuer }))
    expect(location).toBe(`${errorLocation('invalid_id_token')} signed out`)
  })

  it('control: the genuine claims re-signed by the expected provider pass', async () => {
    const location = await signInWith((claims) => idp.sign(claims))
    expect(location).toBe('/ signed in')
  })
})

/** An `oidcLogin()` that is only built, never asked: discovery waits for the first sign-in. */
const oidcOptions = {
  issuer: 'https://login.example.com',
  clientId: 'c',
  clientSecret: 's',
  redirectUri: 'https://app.example.com/auth/oidc/callback',
  secret: SECRET,
  mapUser: () => null,
}

describe('the state store comes with the session store', () => {
  const warningsOf = (store: SessionStore) => {
    const warnings: string[] = []
    createBff({
      store,
      keys: createSigningKeys(),
      oidc: oidcLogin(oidcOptions),
      logger: { warn: (message: unknown) => void warnings.push(String(message)), error: () => {} },
    })
    return warnings.filter((warning) => warning.includes('oidcStateStore'))
  }

  it('a built-in store needs no stateStore, and no warning is logged', () => {
    expect(warningsOf(memoryStore())).toEqual([])
  })

  it('a store without oidcStateStore() gets one in the process, with a warning', () => {
    const custom: SessionStore = memoryStore()
    delete custom.oidcStateStore
    expect(warningsOf(custom)).toEqual([
      '[baton] oidcLogin: no `stateStore` given and the session store has no oidcStateStore(): ' +
        'transactions, logout tokens and upstream tokens stay in this process. Give every ' +
        'instance one shared stateStore.',
    ])
  })
})
