/**
 * Outages are outages, not bad tokens, and a navigation never ends on a JSON error page:
 * - the provider's JWKS endpoint answering 5xx during a back-channel logout is answered `503
 *   provider_unavailable`, and the provider's retry is taken (before: `400 invalid_request`, the
 *   provider did not retry and the user's sessions stayed alive);
 * - the token endpoint answering 5xx during the callback lands on `oidc_error=provider_unavailable`
 *   and is logged (before: `invalid_id_token`, not logged); a 4xx without an OAuth error body on
 *   `token_exchange_failed`;
 * - the store failing during `GET /oidc/logout` (the navigation after `POST /logout`) lands on
 *   `oidc_error=store_unavailable`, the end-session cookies cleared all the same (before: a JSON
 *   `503 store_unavailable` as the browser's page).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BffEvent } from '../src/index.js'
import { memoryOidcStateStore, type OidcStateStore } from '../src/oidc/index.js'
import { Agent, loginAtIdp, startIdp, type TestIdp } from './oidc-idp.js'
import {
  CLIENT,
  csrfFrom,
  deliverLogoutToken,
  LOGOUT_EVENT,
  mountOidcBff,
  reserve,
  signInAtProvider,
  type Served,
} from './oidc-harness.js'

let idp: TestIdp
let served: Served
/** What the provider's endpoints answer while armed: `path -> status`. */
const down = new Map<string, number>()
const warnings: unknown[][] = []
const events: BffEvent[] = []
/** While true, every call of the OpenID state store fails as an unreachable store would. */
let stateStoreDown = false
const working = memoryOidcStateStore()
const stateStore = Object.fromEntries(
  Object.entries(working).map(([name, method]) => [
    name,
    (...args: unknown[]) =>
      stateStoreDown
        ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'))
        : (method as (...a: unknown[]) => Promise<unknown>).apply(working, args),
  ]),
) as unknown as OidcStateStore

/** What the provider's endpoints answer with a `WWW-Authenticate` challenge while armed. */
const challenged = new Map<string, number>()

async function outageFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const url = new URL(String(input instanceof Request ? input.url : input))
  const challenge = challenged.get(url.pathname)
  if (challenge !== undefined) {
    return Response.json(
      { error: 'invalid_client', error_description: 'client authentication failed' },
      {
        status: challenge,
        headers: { 'www-authenticate': 'Basic realm="idp", error="invalid_client"' },
      },
    )
  }
  const status = down.get(url.pathname)
  if (status !== undefined) {
    return new Response('<html><body>Service Unavailable</body></html>', {
      status,
      headers: { 'content-type': 'text/html' },
    })
  }
  return fetch(input, init)
}

beforeAll(async () => {
  served = await reserve()
  idp = await startIdp({ clients: [{ ...CLIENT, redirect_uris: [served.redirectUri] }] })
  mountOidcBff(served, idp.issuer, {
    oidc: { fetch: outageFetch, stateStore },
    bff: {
      logger: { warn: (...args: unknown[]) => void warnings.push(args), error: () => {} },
      onEvent: (event) => void events.push(event),
    },
  })
})
afterAll(async () => {
  await served?.close()
  await idp?.close()
})

const refreshStatus = async (agent: Agent) =>
  (
    await agent.request(`${served.origin}/auth/refresh`, {
      method: 'POST',
      headers: csrfFrom(served.origin),
    })
  ).status

const backchannel = (token: string) => deliverLogoutToken(served.origin, token)

describe('the provider JWKS endpoint answers 503 during a back-channel logout', () => {
  it('answers 503 provider_unavailable (retry taken), not 400 invalid_request (logout lost)', async () => {
    const { agent, landed } = await signInAtProvider(served, 'erin')
    expect(landed.status).toBe(302)
    expect(landed.headers.get('location')).toBe('/home')
    expect(await refreshStatus(agent)).toBe(200)

    const token = await idp.sign(
      {
        iss: idp.issuer,
        aud: CLIENT.client_id,
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 120,
        sub: 'erin',
        jti: 'jwks-503',
        events: LOGOUT_EVENT,
      },
      { typ: 'logout+jwt' },
    )
    down.set('/jwks', 503)
    let res: Response
    try {
      res = await backchannel(token)
    } finally {
      down.delete('/jwks')
    }
    const body = (await res.json()) as { error: { code: string } }
    // The provider is unavailable: a transient 503, as for discovery or a JWKS timeout.
    expect({ status: res.status, code: body.error.code }).toEqual({
      status: 503,
      code: 'provider_unavailable',
    })
    // The provider's retry of the same token, once its keys are back, signs the user out.
    expect((await backchannel(token)).status).toBe(200)
    expect(await refreshStatus(agent)).toBe(401)
  })
})

describe('the provider token endpoint fails during the callback', () => {
  /** Signs in at the provider; the callback's answer while the token endpoint answers `status`. */
  async function callbackWhileTokenEndpointAnswers(status: number) {
    const agent = new Agent()
    const start = await agent.request(`${served.origin}/auth/oidc/login?returnTo=/home`)
    expect(start.status).toBe(302)
    const callback = await loginAtIdp(agent, start.headers.get('location')!, served.redirectUri)
    warnings.length = 0
    if (status !== 0) down.set('/token', status)
    try {
      return await agent.request(callback)
    } finally {
      down.delete('/token')
    }
  }

  it('lands on oidc_error=provider_unavailable (and is logged), not invalid_id_token', async () => {
    const res = await callbackWhileTokenEndpointAnswers(503)
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('/login?oidc_error=provider_unavailable')
    expect(warnings.length).toBeGreaterThan(0)
  })

  it('lands on oidc_error=token_exchange_failed for a 4xx page without an OAuth error body', async () => {
    const res = await callbackWhileTokenEndpointAnswers(404)
    expect(res.headers.get('location')).toBe('/login?oidc_error=token_exchange_failed')
  })

  // Before, openid-client's challenge error fell through to `invalid_id_token`.
  it.each([
    [401, 'token_exchange_failed'],
    [503, 'provider_unavailable'],
  ])(
    'lands on the code of a %s with a WWW-Authenticate challenge: oidc_error=%s',
    async (status, code) => {
      challenged.set('/token', status)
      try {
        const res = await callbackWhileTokenEndpointAnswers(0)
        expect(res.headers.get('location')).toBe(`/login?oidc_error=${code}`)
      } finally {
        challenged.delete('/token')
      }
    },
  )
})

describe('the store fails during the sign-out navigation (GET /oidc/logout)', () => {
  it('lands on oidc_error=store_unavailable with the end-session cookies cleared, not a JSON 503', async () => {
    const { agent, landed } = await signInAtProvider(served, 'frank')
    expect(landed.status).toBe(302)
    const out = await agent.request(`${served.origin}/auth/logout`, {
      method: 'POST',
      headers: csrfFrom(served.origin),
    })
    expect(out.status).toBe(204)
    expect(agent.cookies(served.origin).has('__Host-baton_oidc_end')).toBe(true)

    warnings.length = 0
    events.length = 0
    stateStoreDown = true
    let res: Response
    try {
      res = await agent.request(`${served.origin}/auth/oidc/logout`)
    } finally {
      stateStoreDown = false
    }
    expect({ status: res.status, location: res.headers.get('location') }).toEqual({
      status: 302,
      location: '/login?oidc_error=store_unavailable',
    })
    expect(res.headers.get('cache-control')).toBe('no-store')
    // The ticket is spent either way: no later navigation tries it again.
    expect(agent.cookies(served.origin).has('__Host-baton_oidc_end')).toBe(false)
    expect(agent.cookies(served.origin).has('baton_oidc_end_hint')).toBe(false)
    // The operator hears of it; it is no failed sign-in (the Baton session ended at POST /logout).
    expect(warnings.map(([message]) => message)).toContain(
      '[baton] OpenID Connect sign-out failed: store_unavailable',
    )
    expect(events.filter((event) => event.type === 'oidc_login_failed')).toEqual([])
  })
})
