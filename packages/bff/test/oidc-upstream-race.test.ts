/**
 * The upstream refresh behind `accessToken(c)` racing a logout of the same session: once the
 * provider answered, the refresh checks that the session still lives, so neither `POST /logout`
 * nor a back-channel logout is undone by the tokens it writes back or the token it hands out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStore } from '../src/index.js'
import { startIdp, type TestIdp } from './oidc-idp.js'
import {
  batonToken,
  CLIENT,
  clientOf,
  codeOf,
  csrfFrom,
  deliverLogoutToken,
  LOGOUT_EVENT,
  mountOidcBff,
  relay,
  reserve,
  signInAtProvider,
  type Served,
} from './oidc-harness.js'

const bodyOf = (init?: RequestInit) =>
  init?.body instanceof URLSearchParams
    ? init.body.toString()
    : typeof init?.body === 'string'
      ? init.body
      : ''

/** A gate on the provider's answer to a refresh_token grant: held after the provider served it. */
function refreshGate() {
  let armed = false
  let arrived!: () => void
  let release!: () => void
  let arrival = new Promise<void>((resolve) => (arrived = resolve))
  let released = new Promise<void>((resolve) => (release = resolve))
  const fetchImpl = async (input: string | URL | Request, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input)
    const response = await fetch(input, init)
    if (armed && url.endsWith('/token') && bodyOf(init).includes('grant_type=refresh_token')) {
      armed = false
      // The provider has issued the new tokens (and spent the old refresh token): hold its answer.
      const body = await response.text()
      arrived()
      await released
      return new Response(body, { status: response.status, headers: response.headers })
    }
    return response
  }
  return {
    fetch: fetchImpl,
    arm() {
      armed = true
      arrival = new Promise<void>((resolve) => (arrived = resolve))
      released = new Promise<void>((resolve) => (release = resolve))
    },
    arrival: () => arrival,
    release: () => release(),
  }
}

describe('upstream refresh racing a logout of the same session', () => {
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

  it('POST /logout while the provider answers the refresh: no upstream token is handed out, none is left in the store', async () => {
    const store = memoryStore()
    const gate = refreshGate()
    const app = mountOidcBff(served, idp.issuer, {
      bff: { store },
      // Every accessToken(c) refreshes upstream (the provider's access token lives 1 h).
      oidc: { fetch: gate.fetch, refreshSkewSeconds: 7200 },
    })
    const { agent } = await signInAtProvider(served, 'rita')
    const { accessToken, sessionId } = await batonToken(served, agent)
    const state = store.oidcStateStore!()
    expect(await state.get(`up:${sessionId}`)).not.toBeNull()

    gate.arm()
    const pending = relay(served, accessToken)
    await gate.arrival()
    // The user signs out while the provider's new tokens are on their way to the BFF.
    const out = await agent.request(`${served.origin}/auth/logout`, {
      method: 'POST',
      headers: csrfFrom(served.origin),
    })
    expect(out.status).toBe(204)
    expect(agent.cookies(served.origin).has('__Host-baton_oidc_end')).toBe(true)
    gate.release()
    const res = await pending

    // The session ended before the refreshed token reached the BFF: it must not be relayed, and
    // the logout's "forget the provider's tokens" must hold (nothing written back to the store).
    expect({
      status: res.status,
      relayed: app.relayed.length,
      upstreamRecordKept: (await state.get(`up:${sessionId}`)) !== null,
    }).toEqual({ status: 401, relayed: 0, upstreamRecordKept: false })
    expect(await codeOf(res)).toBe('session_revoked')
  })

  it('back-channel logout while the provider answers the refresh: the provider tokens are not written back', async () => {
    const store = memoryStore()
    const gate = refreshGate()
    const app = mountOidcBff(served, idp.issuer, {
      bff: { store },
      oidc: { fetch: gate.fetch, refreshSkewSeconds: 7200 },
    })
    const { agent } = await signInAtProvider(served, 'sam')
    const { accessToken, sessionId } = await batonToken(served, agent)
    const state = store.oidcStateStore!()

    gate.arm()
    const pending = relay(served, accessToken)
    await gate.arrival()
    const token = await idp.sign(
      {
        iss: idp.issuer,
        aud: CLIENT.client_id,
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 120,
        sub: 'sam',
        jti: `race-${sessionId}`,
        events: LOGOUT_EVENT,
      },
      { typ: 'logout+jwt' },
    )
    const bc = await deliverLogoutToken(served.origin, token)
    expect(bc.status).toBe(200)
    gate.release()
    const res = await pending

    expect({
      status: res.status,
      relayed: app.relayed.length,
      upstreamRecordKept: (await state.get(`up:${sessionId}`)) !== null,
    }).toEqual({ status: 401, relayed: 0, upstreamRecordKept: false })
  })
})
