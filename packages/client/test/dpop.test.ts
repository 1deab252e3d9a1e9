/**
 * Device-bound sessions (DPoP, RFC 9449) in the browser, against the real BFF: one key for every
 * tab and reload, proofs that say what the contract says, rotation at sign-in, and no binding
 * where the browser cannot keep a key.
 */
import { BatonError } from '@baton/client'
import { describe, expect, it } from 'vitest'
import { jwtPart, ORIGIN, run, signedInTabs, T0, useBrowser, type TestServer } from './harness'

const env = useBrowser()

type Json = Record<string, unknown>
const sha256 = async (text: string) =>
  Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))).toString(
    'base64url',
  )
const thumbprint = (jwk: Json) =>
  sha256(`{"crv":"${String(jwk.crv)}","kty":"EC","x":"${String(jwk.x)}","y":"${String(jwk.y)}"}`)

/** The requests to `path` that reached the BFF since the `from`th request, in order. */
const sent = (server: TestServer, path: string, from = 0) =>
  server.dpop.slice(from).filter((r) => r.path === path)
/** The public keys the proofs sent to `path` carry. */
const keysOf = (server: TestServer, path: string, from = 0) =>
  new Set(sent(server, path, from).map((r) => JSON.stringify(jwtPart(r.proof!, 0).jwk)))

describe('a bound session', () => {
  it('works across tabs with one key, and every proof is one the contract describes', async () => {
    const tabs = await signedInTabs(env.browser, 3, {}, { dpop: true })
    for (const tab of tabs) await run(tab.api.get('me').json())
    expect(env.browser.deviceKeys.size).toBe(1)

    const [login] = sent(env.server, '/auth/login')
    const header = jwtPart(login!.proof!, 0)
    expect(header).toEqual({
      typ: 'dpop+jwt',
      alg: 'ES256',
      jwk: { kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) },
    })
    expect(jwtPart(login!.proof!, 1)).toEqual({
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      htm: 'POST',
      htu: 'http://app.test/auth/login',
      iat: T0 / 1000,
    })
    const jkt = await thumbprint(header.jwk as Json)
    const token = await run(tabs[0]!.client.getAccessToken())
    expect(jwtPart(token, 1).cnf).toEqual({ jkt })

    const calls = sent(env.server, '/api/me')
    expect(calls.map((c) => [c.scheme, c.status])).toEqual([
      ['DPoP', 200],
      ['DPoP', 200],
      ['DPoP', 200],
    ])
    expect(keysOf(env.server, '/api/me')).toEqual(new Set([JSON.stringify(header.jwk)]))
    const claims = jwtPart(calls[0]!.proof!, 1)
    expect(claims).toEqual({
      jti: expect.any(String),
      htm: 'GET',
      htu: 'http://app.test/api/me',
      iat: expect.any(Number),
      ath: await sha256(token),
    })
    const jtis = new Set(
      env.server.dpop.filter((r) => r.proof).map((r) => jwtPart(r.proof!, 1).jti),
    )
    expect(jtis.size).toBe(env.server.dpop.filter((r) => r.proof).length)

    const [session] = await run(tabs[1]!.client.sessions.list())
    expect(session).toMatchObject({ current: true, bound: true })
  })

  it('a reload keeps the key: the new tab refreshes with a proof by the same key', async () => {
    const [tab] = await signedInTabs(env.browser, 1, {}, { dpop: true })
    const loginKey = keysOf(env.server, '/auth/login')
    // The anonymous first start refreshed without a proof: a visitor makes no key.
    expect(sent(env.server, '/auth/refresh').map((r) => [r.status, r.proof])).toEqual([[401, null]])
    const from = env.server.dpop.length
    tab!.client.destroy()
    const reloaded = env.browser.open({}, { dpop: true })
    await run(reloaded.client.start())
    expect(reloaded.client.store.getState().status).toBe('authenticated')
    expect(keysOf(env.server, '/auth/refresh', from)).toEqual(loginKey)
    expect(await run(reloaded.api.get('me').json())).toMatchObject({ id: 'u-alice' })
    expect(sent(env.server, '/auth/refresh', from).map((r) => r.status)).toEqual([200])
  })

  it("reads the key once per token it did not get itself: its own sign-in's and refresh's tokens need no read", async () => {
    let loads = 0
    const keys = env.browser.deviceKeys
    const counted = {
      adapters: {
        dpopKeys: (name: string) => ({
          load: () => (loads++, Promise.resolve(keys.get(name) ?? null)),
          save: (pair: CryptoKeyPair) => Promise.resolve(void keys.set(name, pair)),
        }),
      },
    }
    const [a, b] = await signedInTabs(env.browser, 2, counted)
    const api = (tab: typeof a) => run(tab!.api.get('me').json())
    loads = 0
    // The sign-in's token is bound to the key the sign-in made and signed with.
    await api(a)
    expect(loads).toBe(0)
    // A refresh reads the key under the lock, signs with it, and its token is bound to it.
    a!.client.invalidateAccessToken()
    await api(a)
    expect(loads).toBe(1)
    await api(a)
    expect(loads).toBe(1)
    // A token another tab brought may come with another key (a sign-in there): read again, once.
    await api(b)
    expect(loads).toBe(2)
    await api(b)
    expect(loads).toBe(2)
    // The own token's proofs are the refresh's signer's, whatever the store holds by now.
    keys.set(
      env.browser.channel,
      await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
        'sign',
        'verify',
      ]),
    )
    await api(a)
    expect(loads).toBe(2)
    expect(env.server.dpop.filter((r) => r.path === '/api/me').map((r) => r.status)).toEqual([
      200, 200, 200, 200, 200, 200,
    ])
  })

  it('concurrent requests with a token from another tab wait for its one read of the key: each carries a proof', async () => {
    const [, b] = await signedInTabs(env.browser, 2, {}, { dpop: true })
    const loginKey = keysOf(env.server, '/auth/login')
    const refreshes = env.server.refreshCount()
    const from = env.server.dpop.length
    // b's token came from a: its first proof reads the store, and the second must not go out
    // unsigned (a 401, then a refresh) while that read runs.
    await run(Promise.all([b!.api.get('me').json(), b!.api.get('me').json()]))
    expect(sent(env.server, '/api/me', from).map((r) => [r.status, r.scheme])).toEqual([
      [200, 'DPoP'],
      [200, 'DPoP'],
    ])
    expect(keysOf(env.server, '/api/me', from)).toEqual(loginKey)
    expect(env.server.refreshCount()).toBe(refreshes)
  })

  it('a new sign-in makes a new key (rotation); logout is signed with the current one', async () => {
    const [tab] = await signedInTabs(env.browser, 1, {}, { dpop: true })
    const first = env.browser.deviceKeys.get(env.browser.channel)
    await run(tab!.client.logout())
    await run(tab!.client.login({ username: 'alice', password: 'alice-pw' }))
    expect(env.browser.deviceKeys.get(env.browser.channel)).not.toBe(first)
    const [a, b] = sent(env.server, '/auth/login').map((r) =>
      JSON.stringify(jwtPart(r.proof!, 0).jwk),
    )
    expect(a).not.toBe(b)
    const [logout] = sent(env.server, '/auth/logout')
    expect(JSON.stringify(jwtPart(logout!.proof!, 0).jwk)).toBe(a)
    expect(logout!.status).toBe(204)
  })

  // Before, a sign-in stored its new key before the BFF answered: a refused one (here, a user
  // switching accounts who mistypes the password, or is rate limited) left the live session
  // bound to a key no tab could find any more, and its next refresh ended it (binding_mismatch).
  it.each([
    ['a wrong password', 'invalid_credentials', () => {}],
    ['a 429', 'rate_limited', () => (env.server.loginRateLimited = true)],
  ])(
    'a sign-in refused (%s) keeps the live session’s key: every tab’s next refresh succeeds',
    async (_, code, refuse) => {
      const tabs = await signedInTabs(env.browser, 2, {}, { dpop: true })
      const key = env.browser.deviceKeys.get(env.browser.channel)
      refuse()
      const refused: unknown = await run(
        tabs[0]!.client.login({ username: 'alice', password: 'wrong' }),
      ).catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(BatonError)
      expect((refused as BatonError).code).toBe(code)
      expect(env.browser.deviceKeys.get(env.browser.channel)).toBe(key)
      const from = env.server.dpop.length
      // The other tab reads the key from the store under the lock; this one has it in memory.
      for (const tab of [tabs[1]!, tabs[0]!]) {
        tab.client.invalidateAccessToken()
        expect(typeof (await run(tab.client.getAccessToken()))).toBe('string')
      }
      expect(tabs.map((tab) => tab.client.store.getState())).toMatchObject([
        { status: 'authenticated', endReason: null, error: null },
        { status: 'authenticated', endReason: null, error: null },
      ])
      expect(sent(env.server, '/auth/refresh', from).map((r) => r.status)).toEqual([200, 200])
    },
  )

  it('a step-up sends the bound token as DPoP, with a proof binding it by ath', async () => {
    const [tab] = await signedInTabs(env.browser, 1, {}, { dpop: true })
    const token = await run(tab!.client.getAccessToken())
    await run(tab!.client.reauthenticate({ username: 'alice', password: 'alice-pw' }))
    const [call] = sent(env.server, '/auth/reauthenticate')
    expect(call).toMatchObject({ scheme: 'DPoP', status: 200 })
    expect(jwtPart(call!.proof!, 1)).toMatchObject({
      htm: 'POST',
      htu: 'http://app.test/auth/reauthenticate',
      ath: await sha256(token),
    })
  })
})

describe('a browser that cannot bind', () => {
  it('sends no proof and gets an unbound session (binding: if_supported)', async () => {
    const [tab] = await signedInTabs(env.browser, 1)
    await run(tab!.api.get('me').json())
    expect(env.server.dpop.every((r) => r.proof === null)).toBe(true)
    expect(sent(env.server, '/api/me').map((r) => r.scheme)).toEqual(['Bearer'])
    const [session] = await run(tab!.client.sessions.list())
    expect(session).toMatchObject({ bound: false })
  })

  it('is refused sign-in with invalid_dpop_proof where binding is required', async () => {
    env.restart({ binding: 'required' })
    const tab = env.browser.open()
    await run(tab.client.start())
    const error: unknown = await run(
      tab.client.login({ username: 'alice', password: 'alice-pw' }),
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BatonError)
    expect(error).toMatchObject({ code: 'invalid_dpop_proof', status: 401 })
    expect(tab.client.store.getState().status).toBe('unauthenticated')
  })
})

describe('htu of a request with a query and a fragment', () => {
  it('a request with a query and a fragment is accepted with the right htu', async () => {
    const [tab] = await signedInTabs(env.browser, 1, {}, { dpop: true })
    const response = await run(tab!.client.fetch(new Request(`${ORIGIN}/api/me?x=1&y=%20#frag`)))
    expect(response.status).toBe(200)
  })
})
