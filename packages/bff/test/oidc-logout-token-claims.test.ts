/**
 * Logout tokens the back-channel route must refuse as bad tokens (400 `invalid_request`), checked
 * through the route against a real provider: a `kid` that is the empty string (no key can have
 * it, so it is not a key the provider has yet to rotate in: no 503 that the provider would retry),
 * and a token for several audiences without `azp` (Back-Channel Logout 1.0 §2.6 validates it as
 * an ID token, and OpenID Connect Core §3.1.3.7 asks for an `azp` then).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startIdp, type Agent, type TestIdp } from './oidc-idp.js'
import {
  CLIENT,
  codeOf,
  csrfFrom,
  deliverLogoutToken,
  LOGOUT_EVENT,
  mountOidcBff,
  reserve,
  signInAtProvider,
  type Served,
} from './oidc-harness.js'

let served: Served
let idp: TestIdp

beforeAll(async () => {
  served = await reserve()
  idp = await startIdp({ clients: [{ ...CLIENT, redirect_uris: [served.redirectUri] }] })
  mountOidcBff(served, idp.issuer)
})
afterAll(async () => {
  await served?.close()
  await idp?.close()
})

const now = () => Math.floor(Date.now() / 1000)

/** A logout token the provider signs: valid but for what `claims` and `header` change. */
const logoutToken = (claims: Record<string, unknown>, header: { kid?: string } = {}) =>
  idp.sign(
    {
      iss: idp.issuer,
      aud: CLIENT.client_id,
      iat: now(),
      exp: now() + 120,
      events: LOGOUT_EVENT,
      ...claims,
    },
    { typ: 'logout+jwt', ...header },
  )

const signedIn = async (login: string) => {
  const { agent, landed } = await signInAtProvider(served, login)
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

/** The status and error code of the route's answer (a 200 has no body, so no code). */
const answer = async (res: Response) => ({
  status: res.status,
  code: res.status === 200 ? null : await codeOf(res),
})

describe('a logout token whose kid is the empty string', () => {
  it('is a bad token (400 invalid_request), not a provider outage (503)', async () => {
    // Before: 503 provider_unavailable (jose's "no matching key"), which the provider retries.
    const agent = await signedIn('emptykid-user')
    const token = await logoutToken({ sub: 'emptykid-user', jti: 'emptykid' }, { kid: '' })
    expect(await answer(await deliverLogoutToken(served.origin, token))).toEqual({
      status: 400,
      code: 'invalid_request',
    })
    expect(await refreshStatus(agent)).toBe(200)
  })
})

describe('a logout token for several audiences', () => {
  it('without azp is refused (400 invalid_request), and the session goes on', async () => {
    // Before: accepted (200), and the session ended by a token also meant for another client.
    const agent = await signedIn('multiaud-user')
    const token = await logoutToken({
      aud: [CLIENT.client_id, 'other-client'],
      sub: 'multiaud-user',
      jti: 'multiaud-noazp',
    })
    expect(await answer(await deliverLogoutToken(served.origin, token))).toEqual({
      status: 400,
      code: 'invalid_request',
    })
    expect(await refreshStatus(agent)).toBe(200)
  })

  it('control: with azp naming this client, ends the session', async () => {
    const agent = await signedIn('multiaud-azp-user')
    const token = await logoutToken({
      aud: [CLIENT.client_id, 'other-client'],
      azp: CLIENT.client_id,
      sub: 'multiaud-azp-user',
      jti: 'multiaud-azp',
    })
    expect((await deliverLogoutToken(served.origin, token)).status).toBe(200)
    expect(await refreshStatus(agent)).toBe(401)
  })

  it('control: a one-element aud array needs no azp', async () => {
    const agent = await signedIn('oneaud-user')
    const token = await logoutToken({ aud: [CLIENT.client_id], sub: 'oneaud-user', jti: 'oneaud' })
    expect((await deliverLogoutToken(served.origin, token)).status).toBe(200)
    expect(await refreshStatus(agent)).toBe(401)
  })
})
