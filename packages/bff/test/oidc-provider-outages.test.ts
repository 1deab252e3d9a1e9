/**
 * Provider outages are outages, not bad tokens:
 * - the provider's JWKS endpoint answering 5xx during a back-channel logout is answered `503
 *   provider_unavailable`, and the provider's retry is taken (before: `400 invalid_request`, the
 *   provider did not retry and the user's sessions stayed alive);
 * - the token endpoint answering 5xx during the callback lands on `oidc_error=provider_unavailable`
 *   and is logged (before: `invalid_id_token`, not logged); a 4xx without an OAuth error body on
 *   `token_exchange_failed`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Agent, loginAtIdp, startIdp, type TestIdp } from './oidc-idp.js'
import {
  CLIENT,
  csrfFrom,
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

async function outageFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const url = new URL(String(input instanceof Request ? input.url : input))
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
    oidc: { fetch: outageFetch },
    bff: { logger: { warn: (...args: unknown[]) => void warnings.push(args), error: () => {} } },
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

const backchannel = (token: string) =>
  fetch(`${served.origin}/auth/oidc/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: token }),
  })

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
    down.set('/token', status)
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
})
