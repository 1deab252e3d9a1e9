/**
 * A back-channel logout whose store fails midway answers 503 and gives its `jti` back, so the
 * provider's retry signs the user out; the retry, like a late delivery, ends only the sessions
 * started before the logout the token reports (its `iat`), never a sign-in that came after. That
 * guard must not drop a real logout when the BFF's clock runs ahead of the provider's: a `sid`
 * names one provider session, never one started after its logout, and a `sub`-only token is
 * judged on the provider's clock (the session's ID token) where it can be.
 */
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStore, type SessionStore } from '../src/index.js'
import { Agent, confirmLogoutAtIdp, loginAtIdp, startIdp, type TestIdp } from './oidc-idp.js'
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

beforeAll(async () => {
  served = await reserve()
  idp = await startIdp({
    clients: [
      {
        ...CLIENT,
        redirect_uris: [served.redirectUri],
        // The provider tells the BFF of a logout at its end-session page (and puts `sid` in ID tokens).
        backchannel_logout_uri: `${served.origin}/auth/oidc/backchannel-logout`,
      },
    ],
  })
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
          exp: Math.floor(Date.now() / 1000) + 120,
          sub: 'erin',
          jti: 'bc-retry',
          events: LOGOUT_EVENT,
        },
        { typ: 'logout+jwt' },
      )
      const deliver = () => deliverLogoutToken(served.origin, token)
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

describe('a back-channel logout with the BFF clock ahead of the provider', () => {
  /** Mounts the BFF on `provider` with its clock (and its store's) `skewMs` ahead; its events. */
  function mountSkewed(skewMs: number, provider = idp) {
    const events: { type: string; sessionIds?: string[] }[] = []
    mountOidcBff(served, provider.issuer, {
      bff: {
        store: memoryStore({ now: () => Date.now() + skewMs }),
        now: () => Date.now() + skewMs,
        onEvent: (event: { type: string }) => void events.push(event),
      },
    })
    return events
  }

  it.each([
    ['control: clocks in step', 0],
    ['the BFF clock 45 s ahead', 45_000],
  ])(
    '%s: a provider-initiated logout (sid + sub) ends the session that provider session signed in',
    async (_name, skewMs) => {
      // Before, 45 s ahead: 200 and no session ended (its createdAt was later than the iat + 30 s).
      const events = mountSkewed(skewMs)
      const agent = await signIn(`skewed-${skewMs}`)
      expect(await refreshStatus(agent)).toBe(200)

      // The user signs out at the provider, which tells the BFF over the back channel.
      const confirmed = await confirmLogoutAtIdp(agent, `${idp.issuer}/session/end`)
      expect(confirmed.status).toBe(303)
      let logout: { type: string; sessionIds?: string[] } | undefined
      for (let i = 0; i < 40 && !logout; i++) {
        await new Promise((resolve) => setTimeout(resolve, 25))
        logout = events.find((event) => event.type === 'provider_logout')
      }
      // The provider's logout token was accepted (200)…
      expect(logout).toBeDefined()
      // …and must have ended the one session signed in through that provider session.
      expect(logout!.sessionIds).toHaveLength(1)
      expect(await refreshStatus(agent)).toBe(401)
    },
  )

  it.each([
    ['without auth_time', false],
    ['with auth_time', true],
  ])(
    'a sub-only logout token ends the session signed in before it, judged by its callback’s ID token (%s)',
    async (_name, requireAuthTime) => {
      // Before: 200 and no session ended, as for a sid (createdAt against the iat + 30 s).
      const provider = requireAuthTime
        ? await startIdp({
            // oidc-provider names auth_time in every ID token of such a client.
            clients: [
              { ...CLIENT, redirect_uris: [served.redirectUri], require_auth_time: true } as never,
            ],
          })
        : idp
      try {
        const events = mountSkewed(45_000, provider)
        const agent = await signIn('skewed-sub')
        expect(await refreshStatus(agent)).toBe(200)
        const iat = Math.floor(Date.now() / 1000)
        const token = await provider.sign(
          {
            iss: provider.issuer,
            aud: CLIENT.client_id,
            iat,
            exp: iat + 120,
            sub: 'skewed-sub',
            jti: `bc-skewed-sub-${requireAuthTime}`,
            events: LOGOUT_EVENT,
          },
          { typ: 'logout+jwt' },
        )
        const res = await deliverLogoutToken(served.origin, token)
        expect(res.status).toBe(200)
        const logout = events.find((event) => event.type === 'provider_logout')
        expect(logout?.sessionIds).toHaveLength(1)
        expect(await refreshStatus(agent)).toBe(401)
      } finally {
        if (provider !== idp) await provider.close()
      }
    },
  )
})

describe('a sub-only logout token delivered late', () => {
  // Before, judged by the ID token's auth_time, which a single sign-on at the provider carries
  // from the first login: the later sign-in was ended (`sessionIds: [later]`, its refresh 401).
  it('spares a sign-in made after the logout through the provider’s single sign-on', async () => {
    const provider = await startIdp({
      // oidc-provider names auth_time in every ID token of such a client.
      clients: [
        { ...CLIENT, redirect_uris: [served.redirectUri], require_auth_time: true } as never,
      ],
    })
    const events: { type: string; sessionIds?: string[] }[] = []
    mountOidcBff(served, provider.issuer, {
      bff: { store: memoryStore(), onEvent: (e: { type: string }) => void events.push(e) },
    })
    const signInAgain = async (agent: Agent) => {
      const start = await agent.request(`${served.origin}/auth/oidc/login?returnTo=/home`)
      const at = start.headers.get('location')!
      expect(
        (await agent.request(await loginAtIdp(agent, at, served.redirectUri, 'sso'))).status,
      ).toBe(302)
      const res = await agent.request(`${served.origin}/auth/refresh`, {
        method: 'POST',
        headers: csrfFrom(served.origin),
      })
      expect(res.status).toBe(200)
      return decodeJwt(((await res.json()) as { accessToken: string }).accessToken)['sid']
    }
    // One clock for the BFF and the provider, moved by hand.
    const realNow = Date.now
    let offset = 0
    Date.now = () => realNow() + offset
    try {
      const agent = new Agent()
      const before = await signInAgain(agent)
      // The provider ends sso's sessions a second later: a sub-only logout token.
      const iat = Math.floor(Date.now() / 1000) + 1
      const token = await provider.sign(
        {
          iss: provider.issuer,
          aud: CLIENT.client_id,
          iat,
          exp: iat + 300,
          sub: 'sso',
          jti: 'bc-sso-late',
          events: LOGOUT_EVENT,
        },
        { typ: 'logout+jwt' },
      )
      // Two minutes later, before that token arrives, the same browser signs in again: single
      // sign-on at the provider, a new ID token whose auth_time is the first login's.
      offset = 120_000
      const later = await signInAgain(agent)
      expect(later).not.toBe(before)
      const res = await deliverLogoutToken(served.origin, token)
      expect(res.status).toBe(200)
      const logout = events.find((event) => event.type === 'provider_logout')
      expect({ ended: logout?.sessionIds, refresh: await refreshStatus(agent) }).toStrictEqual({
        ended: [],
        refresh: 200,
      })
    } finally {
      Date.now = realNow
      await provider.close()
    }
  })
})
