/**
 * A back-channel logout whose store fails midway answers 503 and gives its `jti` back, so the
 * provider's retry signs the user out; the retry, like a late delivery, ends only the sessions
 * started before the logout the token reports (its `iat`), never a sign-in that came after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStore, type SessionStore } from '../src/index.js'
import { startIdp, type Agent, type TestIdp } from './oidc-idp.js'
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

beforeAll(async () => {
  served = await reserve()
  idp = await startIdp({ clients: [{ ...CLIENT, redirect_uris: [served.redirectUri] }] })
})
afterAll(async () => {
  await served?.close()
  await idp?.close()
})

async function signIn(login: string) {
  const { agent, landed } = await signInAtProvider(served, login)
  expect(landed.status).toBe(302)
  return agent
}
const refreshStatus = async (agent: Agent) =>
  (
    await agent.request(`${served.origin}/auth/refresh`, {
      method: 'POST',
      headers: csrfFrom(served.origin),
    })
  ).status

describe('a back-channel logout retried after a partial failure', () => {
  it('does not revoke a session the user started after the logout the token reports', async () => {
    const inner = memoryStore()
    let revocations = 0
    const store: SessionStore = {
      ...inner,
      async revoke(...args) {
        revocations += 1
        if (revocations === 2) throw new Error('connection reset')
        return inner.revoke(...args)
      },
    }
    mountOidcBff(served, idp.issuer, { bff: { store } })
    // One clock for the BFF and the provider, moved by hand.
    const realNow = Date.now
    let offset = 0
    Date.now = () => realNow() + offset
    try {
      const first = await signIn('erin')
      const second = await signIn('erin')
      // The provider ends erin's sessions there (a sub-only logout token) and tells the BFF.
      const token = await idp.sign(
        {
          iss: idp.issuer,
          aud: CLIENT.client_id,
          iat: Math.floor(Date.now() / 1000) + 1,
          sub: 'erin',
          jti: 'bc-retry',
          events: LOGOUT_EVENT,
        },
        { typ: 'logout+jwt' },
      )
      const deliver = () =>
        fetch(`${served.origin}/auth/oidc/backchannel-logout`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ logout_token: token }),
        })
      const failed = await deliver()
      expect(failed.status).toBe(503)
      expect(((await failed.json()) as { error: { code: string } }).error.code).toBe(
        'store_unavailable',
      )

      // A minute later, erin signs in again: a new sign-in at the provider, after that logout.
      offset = 60_000
      const later = await signIn('erin')
      expect(await refreshStatus(later)).toBe(200)

      // The same token again, inside its ten minutes (the provider's retry, or anyone's replay).
      expect((await deliver()).status).toBe(200)
      expect(await refreshStatus(first)).toBe(401)
      expect(await refreshStatus(second)).toBe(401)
      // The session started after the logout event is not one the provider ended.
      expect(await refreshStatus(later)).toBe(200)
      // Once it succeeded, the token is spent.
      expect((await deliver()).status).toBe(400)
    } finally {
      Date.now = realNow
    }
  })
})
