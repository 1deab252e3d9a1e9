/**
 * A provider's sign-in that ends the browser's previous provider-signed session and is then
 * refused (here the session limit, `onSessionLimit: 'refuse'`) has no successor to decide about
 * the previous session's grant: nobody holds that session any more, so its upstream record is
 * dropped and its refresh token revoked at the provider, as for any other end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryOidcStateStore, type OidcStateStore } from '../src/oidc/index.js'
import { Agent, loginAtIdp, startIdp, type TestIdp } from './oidc-idp.js'
import {
  batonToken,
  CLIENT,
  mountOidcBff,
  refreshGrantStatus,
  refusedWithin,
  reserve,
  type Served,
} from './oidc-harness.js'

let idp: TestIdp
let served: Served
let state: OidcStateStore
const issued: string[] = []

const watching: typeof fetch = async (input, init) => {
  const url = String(input instanceof Request ? input.url : input)
  const response = await fetch(input, init)
  if (url.endsWith('/token') && response.ok) {
    const body = (await response.clone().json()) as { refresh_token?: string }
    if (body.refresh_token) issued.push(body.refresh_token)
  }
  return response
}

beforeAll(async () => {
  served = await reserve()
  idp = await startIdp({
    clients: [{ ...CLIENT, redirect_uris: [served.redirectUri] }],
    refreshTokensOutliveSession: true,
  })
  state = memoryOidcStateStore()
  mountOidcBff(served, idp.issuer, {
    bff: { maxSessionsPerUser: 1, onSessionLimit: 'refuse' },
    oidc: { stateStore: state, fetch: watching },
  })
})
afterAll(async () => {
  await served?.close()
  await idp?.close()
})

async function signIn(agent: Agent, login: string) {
  const start = await agent.request(`${served.origin}/auth/oidc/login?returnTo=/home`)
  const at = start.headers.get('location')!
  return agent.request(await loginAtIdp(agent, at, served.redirectUri, login))
}

describe('a provider sign-in refused after it ended the previous session', () => {
  it('the ended session’s upstream record is dropped and its grant revoked', async () => {
    // Browser A, signed in through the provider as one user.
    const a = new Agent()
    await signIn(a, 'refused-a')
    const token = issued.at(-1)!
    const { sessionId } = await batonToken(served, a)
    expect(await state.get(`up:${sessionId}`)).not.toBeNull()
    // Another user already holds their one allowed session elsewhere.
    await signIn(new Agent(), 'refused-b')
    // Browser A (its BFF cookies, not the provider's SSO cookie) signs in as that other user: the
    // login ends A's session, then the session limit refuses the new one.
    const again = new Agent()
    for (const [name, value] of a.cookies(served.origin)) {
      again.cookies(served.origin).set(name, value)
    }
    await signIn(again, 'refused-b')
    // A's session is over...
    const refreshed = await again.request(`${served.origin}/auth/refresh`, {
      method: 'POST',
      headers: { 'x-csrf': '1', origin: served.origin },
    })
    expect(refreshed.status).toBe(401)
    // ...so its upstream tokens go with it, as for every other end of a session.
    expect(await state.get(`up:${sessionId}`)).toBeNull()
    expect(await refusedWithin(idp.issuer, token)).toBe(true)
    expect(await refreshGrantStatus(idp.issuer, token)).toBe(400)
  })
})
