/**
 * A token endpoint that does not answer within `timeoutMs` is an outage: the callback lands on
 * `oidc_error=provider_unavailable` and is logged, as a 5xx or a network failure does. openid-client
 * reports the timeout as a ClientError whose cause is a `TimeoutError` DOMException (what
 * `AbortSignal.timeout` rejects with), not an `AbortError`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Agent, loginAtIdp, startIdp, type TestIdp } from './oidc-idp.js'
import { CLIENT, mountOidcBff, reserve, type Served } from './oidc-harness.js'

let idp: TestIdp
let served: Served
/** While true, the token endpoint never answers (the request waits for its signal). */
let hanging = false
const warnings: string[] = []

/** A `fetch` whose token requests hang, while armed, until the request's signal aborts them. */
const hangingFetch: typeof fetch = (input, init) => {
  const url = String(input instanceof Request ? input.url : input)
  const signal = init?.signal
  if (!hanging || !url.endsWith('/token') || !signal) return fetch(input, init)
  return new Promise<Response>((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true })
  })
}

beforeAll(async () => {
  served = await reserve()
  idp = await startIdp({ clients: [{ ...CLIENT, redirect_uris: [served.redirectUri] }] })
  mountOidcBff(served, idp.issuer, {
    bff: {
      logger: { warn: (message: unknown) => void warnings.push(String(message)), error: () => {} },
    },
    oidc: { fetch: hangingFetch, timeoutMs: 1_000 },
  })
})
afterAll(async () => {
  await served?.close()
  await idp?.close()
})

/** Signs in; returns where the callback sends the browser. */
async function signIn(): Promise<string | null> {
  const agent = new Agent()
  const start = await agent.request(`${served.origin}/auth/oidc/login?returnTo=/home`)
  const callback = await loginAtIdp(agent, start.headers.get('location')!, served.redirectUri)
  const landed = await agent.request(callback)
  return landed.headers.get('location')
}

describe('a token endpoint that times out during the callback', () => {
  it('control: an answering token endpoint signs in', async () => {
    expect(await signIn()).toBe('/home')
  })

  it('lands on oidc_error=provider_unavailable, logged, not on invalid_id_token', async () => {
    // Before: /login?oidc_error=invalid_id_token, and nothing logged for the operator.
    hanging = true
    try {
      expect(await signIn()).toBe('/login?oidc_error=provider_unavailable')
    } finally {
      hanging = false
    }
    expect(warnings.filter((w) => w.includes('provider_unavailable'))).toHaveLength(1)
  })
})
