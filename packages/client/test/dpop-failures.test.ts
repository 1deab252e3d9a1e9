/**
 * Device binding when things go wrong: the BFF asks for a nonce, the device clock is off, a proof
 * is refused for good, the key is gone (site data cleared). Each ends in a stated state, with a
 * bounded number of requests, never a hang nor a loop.
 */
import { BatonError, SessionExpiredError } from '@baton/client'
import { requireAuth, type RequireAuthVariables } from '@baton/bff'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { KEY_LOST_MESSAGE } from '../src/auth-api.js'
import { jwtPart, run, signedInTabs, T0, useBrowser, waitFor, type TestServer } from './harness'

const env = useBrowser()
const NONCE_SECRET = 'a-test-nonce-secret-of-32-chars!!'

const claims = (jwt: string) => jwtPart(jwt, 1)
/** The requests to `path` that reached the BFF since the `from`th request, in order. */
const sent = (server: TestServer, path: string, from = 0) =>
  server.dpop.slice(from).filter((r) => r.path === path)

describe('server nonces (RFC 9449 §8)', () => {
  it('a sign-in asked for a nonce is sent again once with it; the next proofs carry the latest', async () => {
    env.restart({ dpop: { nonce: { secret: NONCE_SECRET } } })
    const [tab] = await signedInTabs(env.browser, 1, {}, { dpop: true })
    const logins = sent(env.server, '/auth/login')
    expect(logins.map((r) => r.status)).toEqual([400, 200])
    expect(claims(logins[0]!.proof!).nonce).toBeUndefined()
    const nonce = claims(logins[1]!.proof!).nonce
    expect(nonce).toEqual(expect.any(String))
    // The nonce came back with the grant too: the refresh needs no second round trip.
    const from = env.server.dpop.length
    tab!.client.invalidateAccessToken()
    await run(tab!.client.getAccessToken())
    expect(
      sent(env.server, '/auth/refresh', from).map((r) => [r.status, claims(r.proof!).nonce]),
    ).toEqual([[200, nonce]])
  })

  it('an API that asks for a nonce gets the request again once, with the same token', async () => {
    const guarded = new Hono<{ Variables: RequireAuthVariables }>()
    guarded.use(
      requireAuth({
        jwks: env.server.keys,
        issuer: 'baton',
        audience: 'baton-api',
        dpop: { mode: 'required', nonce: { secret: NONCE_SECRET } },
      }),
    )
    guarded.post('/echo', async (c) => c.json({ body: await c.req.json<unknown>() }))
    env.server.app.route('/nonce-api', guarded)
    const [tab] = await signedInTabs(env.browser, 1, {}, { dpop: true })
    const refreshes = env.server.refreshCount()
    const response = await run(
      tab!.client.fetch('http://app.test/nonce-api/echo', {
        method: 'POST',
        body: JSON.stringify({ n: 1 }),
      }),
    )
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ body: { n: 1 } })
    const calls = sent(env.server, '/nonce-api/echo')
    expect(calls.map((r) => [r.scheme, r.status])).toEqual([
      ['DPoP', 401],
      ['DPoP', 200],
    ])
    expect(claims(calls[1]!.proof!).nonce).toEqual(expect.any(String))
    expect(env.server.refreshCount()).toBe(refreshes) // a nonce is no reason to refresh
  })
})

describe('the device clock', () => {
  it('5 minutes fast: the refused sign-in is sent again at once on the server’s clock, then proofs follow it', async () => {
    const fast = { adapters: { now: () => Date.now() + 300_000 } }
    const [tab] = await signedInTabs(env.browser, 1, fast, { dpop: true })
    const logins = sent(env.server, '/auth/login')
    expect(logins.map((r) => r.status)).toEqual([401, 200])
    expect(claims(logins[0]!.proof!).iat).toBe(T0 / 1000 + 300)
    expect(claims(logins[1]!.proof!).iat).toBe(T0 / 1000)
    const from = env.server.dpop.length
    await run(tab!.api.get('me').json())
    tab!.client.invalidateAccessToken()
    await run(tab!.api.get('me').json())
    expect(sent(env.server, '/api/me').map((r) => [r.status, claims(r.proof!).iat])).toEqual([
      [200, T0 / 1000],
      [200, T0 / 1000],
    ])
    expect(sent(env.server, '/auth/refresh', from).map((r) => r.status)).toEqual([200])
  })
})

describe('a refused proof', () => {
  it('on refresh, ends the tab with invalid_dpop_proof after one request, the session kept by the BFF', async () => {
    let tamper = false
    const fetch: typeof globalThis.fetch = (input, init) => {
      const request = new Request(input, init)
      if (tamper && request.url.endsWith('/auth/refresh'))
        request.headers.set('dpop', 'not.a.proof')
      return env.browser.fetch(request)
    }
    const [tab] = await signedInTabs(env.browser, 1, { fetch }, { dpop: true })
    const from = env.server.dpop.length
    tamper = true
    tab!.client.invalidateAccessToken()
    const error: unknown = await run(tab!.client.getAccessToken()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BatonError)
    expect(error).toMatchObject({ code: 'invalid_dpop_proof', status: 401 })
    expect(tab!.client.store.getState()).toMatchObject({
      status: 'unauthenticated',
      endReason: null,
    })
    expect(sent(env.server, '/auth/refresh', from).map((r) => r.status)).toEqual([401])
    expect(env.server.events.filter((e) => e.type === 'revoked')).toEqual([])
  })
})

describe('the key is gone (site data cleared)', () => {
  it('the next refresh ends the session in every tab, with the reason stated, and the BFF revokes it', async () => {
    const tabs = await signedInTabs(env.browser, 3, {}, { dpop: true, document: true })
    const from = env.server.dpop.length
    env.browser.deviceKeys.clear()
    const [first] = tabs
    first!.client.invalidateAccessToken()
    const error: unknown = await run(first!.client.getAccessToken()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SessionExpiredError)
    expect(error).toMatchObject({ reason: 'session_revoked', message: KEY_LOST_MESSAGE })
    await waitFor(
      () => tabs.every((tab) => tab.client.store.getState().status === 'unauthenticated'),
      'every tab signed out',
    )
    for (const tab of tabs)
      expect(tab.client.store.getState()).toMatchObject({ endReason: 'session_revoked' })
    expect(env.server.events.filter((e) => e.type === 'binding_mismatch')).toHaveLength(1)
    // Unsigned (no key): "a proof is required"; then signed by a new key: the session is revoked.
    const refreshes = sent(env.server, '/auth/refresh', from)
    expect(refreshes.map((r) => [r.status, r.proof === null])).toEqual([
      [401, true],
      [401, false],
    ])
    expect(env.browser.cookies.size).toBe(0)
  })

  it('a reload after the key is gone: one refresh, signed out with the reason', async () => {
    const [tab] = await signedInTabs(env.browser, 1, {}, { dpop: true, document: true })
    tab!.client.destroy()
    const from = env.server.dpop.length
    env.browser.deviceKeys.clear()
    const reloaded = env.browser.open({}, { dpop: true, document: true })
    await run(reloaded.client.start())
    expect(reloaded.client.store.getState()).toMatchObject({
      status: 'unauthenticated',
      endReason: 'session_revoked',
      error: expect.objectContaining({ message: KEY_LOST_MESSAGE }),
    })
    expect(sent(env.server, '/auth/refresh', from).map((r) => r.status)).toEqual([401, 401])
  })
})
