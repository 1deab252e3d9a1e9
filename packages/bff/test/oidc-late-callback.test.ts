/**
 * `prompt=login` sends `max_age=0` too, so that the provider names `auth_time`, but only a
 * `max_age` the caller asked for is held against the ID token at the callback: a user who spends
 * more than openid-client's 30 s tolerance at the provider after proving who they are (a consent
 * screen, a required action), or a BFF whose clock is that far ahead of the provider's, must not
 * get `invalid_id_token` on every step-up through the provider.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Agent, loginAtIdp, startIdp, type TestIdp } from './oidc-idp.js'
import { CLIENT, mountOidcBff, reserve, type Served } from './oidc-harness.js'

let idp: TestIdp
let served: Served

beforeAll(async () => {
  served = await reserve()
  idp = await startIdp({ clients: [{ ...CLIENT, redirect_uris: [served.redirectUri] }] })
  mountOidcBff(served, idp.issuer)
})
afterAll(async () => {
  await served?.close()
  await idp?.close()
})

/**
 * Signs in with `query`; the callback reaches the BFF `lateMs` after the user signed in at the
 * provider (within the provider's code lifetime). Returns where the callback sends the browser.
 */
async function signInLate(query: string, lateMs: number): Promise<string> {
  const agent = new Agent()
  const start = await agent.request(`${served.origin}/auth/oidc/login?${query}`)
  expect(start.status).toBe(302)
  const callback = await loginAtIdp(agent, start.headers.get('location')!, served.redirectUri)
  const realNow = Date.now
  Date.now = () => realNow() + lateMs
  try {
    const landed = await agent.request(callback)
    expect(landed.status).toBe(302)
    return landed.headers.get('location')!
  } finally {
    Date.now = realNow
  }
}

describe('prompt=login and the implied max_age=0', () => {
  it('control: without prompt=login, a callback 45 s after the sign-in lands on returnTo', async () => {
    expect(await signInLate('returnTo=/done', 45_000)).toBe('/done')
  })

  it('control: an explicit max_age=300 with prompt=login, 45 s late, lands on returnTo', async () => {
    expect(await signInLate('returnTo=/done&prompt=login&max_age=300', 45_000)).toBe('/done')
  })

  it('prompt=login: a callback 45 s after the sign-in at the provider still lands on returnTo', async () => {
    expect(await signInLate('returnTo=/done&prompt=login', 45_000)).toBe('/done')
  })
})
