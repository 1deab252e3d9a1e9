/**
 * The callback starts the Baton session (`sessions.login`) and only then indexes it by the
 * provider's `sub`/`sid` (`upstream.saveNew`). A back-channel logout of that user arriving in
 * between finds nothing to end, yet leaves its mark: the callback reads it once registered, ends
 * the session (`provider_logout`) and lands on `oidc_error=login_required`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStore, type BffEvent } from '../src/index.js'
import { memoryOidcStateStore, type OidcStateStore } from '../src/oidc/index.js'
import { Agent, loginAtIdp, startIdp, type TestIdp } from './oidc-idp.js'
import {
  CLIENT,
  clientOf,
  csrfFrom,
  deliverLogoutToken,
  LOGOUT_EVENT,
  mountOidcBff,
  reserve,
  type Served,
} from './oidc-harness.js'

let idp: TestIdp
let served: Served

beforeAll(async () => {
  served = await reserve()
  idp = await startIdp({ clients: [clientOf(served)] })
})
afterAll(async () => {
  await served?.close()
  await idp?.close()
})

describe('a back-channel logout between the callback’s session start and its sub/sid index', () => {
  it('still ends the session signed in before the logout the token reports', async () => {
    const inner = memoryOidcStateStore()
    let armed = false
    let arrived!: () => void
    let release!: () => void
    const arrival = new Promise<void>((resolve) => (arrived = resolve))
    const released = new Promise<void>((resolve) => (release = resolve))
    const stateStore: OidcStateStore = {
      ...inner,
      async addMember(key, member, ttlMs) {
        // The sub index entry, issuer-scoped (`iss:<tag>:sub:`) or not.
        if (armed && /^(iss:[^:]+:)?sub:/.test(key)) {
          armed = false
          arrived()
          await released
        }
        return inner.addMember(key, member, ttlMs)
      },
    }
    const events: BffEvent[] = []
    mountOidcBff(served, idp.issuer, {
      bff: { store: memoryStore(), onEvent: (e) => void events.push(e) },
      oidc: { stateStore },
    })

    const agent = new Agent()
    const start = await agent.request(`${served.origin}/auth/oidc/login?returnTo=/home`)
    const callback = await loginAtIdp(
      agent,
      start.headers.get('location')!,
      served.redirectUri,
      'uma',
    )
    armed = true
    const landing = agent.request(callback)
    await arrival
    // The Baton session exists now (sessions.login ran); the provider ends uma's sessions.
    const token = await idp.sign(
      {
        iss: idp.issuer,
        aud: CLIENT.client_id,
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 120,
        sub: 'uma',
        jti: 'during-callback',
        events: LOGOUT_EVENT,
      },
      { typ: 'logout+jwt' },
    )
    const bc = await deliverLogoutToken(served.origin, token)
    release()
    const landed = await landing
    expect(landed.status).toBe(302)
    expect(landed.headers.get('location')).toMatch(/[?&]oidc_error=login_required/)

    const refreshed = await agent.request(`${served.origin}/auth/refresh`, {
      method: 'POST',
      headers: csrfFrom(served.origin),
    })
    const ended = events.flatMap((e) => (e.type === 'provider_logout' ? e.sessionIds : []))
    // Either the logout is answered with an error (the provider retries) or it ends the session:
    // never "200, nothing ended" with a live session left behind.
    expect({
      answeredOkEndingNothing: bc.status === 200 && ended.length === 0,
      refresh: refreshed.status,
    }).toEqual({ answeredOkEndingNothing: false, refresh: 401 })
  })
})
