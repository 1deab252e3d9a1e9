/**
 * Sign-in and sign-out through the BFF's OpenID provider (`@baton/bff/oidc`, issue 16):
 * `loginWithRedirect()` is a top-level navigation to `{baseUrl}/oidc/login`, and a confirmed
 * `logout()` goes on to `{baseUrl}/oidc/logout` when the BFF left its end-session marker.
 */
import { createSessionClient, type SessionClient } from '@baton/client'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

const assign = vi.fn<(url: string) => void>()
let client: SessionClient | null = null

beforeEach(() => {
  assign.mockReset()
  vi.stubGlobal('location', {
    assign,
    origin: 'https://app.example',
    href: 'https://app.example/orders/7?tab=2#top',
    pathname: '/orders/7',
    search: '?tab=2',
    hash: '#top',
  })
})
afterEach(() => {
  client?.destroy()
  client = null
  vi.unstubAllGlobals()
})

/** A client whose BFF answers `POST /logout` with `status`, and whose page holds `cookies`. */
function withBff(status: number, cookies: () => string | null) {
  const calls: string[] = []
  client = createSessionClient({
    baseUrl: '/auth',
    fetch: (input) => {
      calls.push(input instanceof Request ? input.url : input.toString())
      return Promise.resolve(new Response(null, { status }))
    },
    adapters: { cookies, storage: null, channel: () => null, dpopKeys: null },
  })
  return { client, calls }
}

describe('loginWithRedirect()', () => {
  it('navigates to {baseUrl}/oidc/login with the current page as returnTo', () => {
    const { client, calls } = withBff(204, () => '')
    void client.loginWithRedirect()
    expect(assign.mock.calls).toEqual([['/auth/oidc/login?returnTo=%2Forders%2F7%3Ftab%3D2%23top']])
    expect(calls).toEqual([])
  })

  it('passes returnTo, prompt and max_age through, encoded', () => {
    const { client } = withBff(204, () => '')
    void client.loginWithRedirect({ returnTo: '/a b?c=d&e', prompt: 'login', maxAge: 300 })
    expect(assign.mock.calls).toEqual([
      ['/auth/oidc/login?returnTo=%2Fa+b%3Fc%3Dd%26e&prompt=login&max_age=300'],
    ])
  })
})

/** The payload or header of a JWT, unverified. */
const part = (jwt: string, index: 0 | 1) =>
  JSON.parse(Buffer.from(jwt.split('.')[index]!, 'base64url').toString()) as Record<string, unknown>

/** A client that can bind (its device keys in `keys`), whose BFF answers with `answer`. */
function bindingClient(answer: (call: number) => Response) {
  const keys = new Map<string, CryptoKeyPair>()
  const requests: { url: string; headers: Record<string, string>; body: unknown }[] = []
  client = createSessionClient({
    baseUrl: '/auth',
    fetch: (input, init) => {
      const headers = init?.headers as Record<string, string>
      const url = input instanceof Request ? input.url : input.toString()
      requests.push({ url, headers, body: JSON.parse(init?.body as string) })
      return Promise.resolve(answer(requests.length))
    },
    adapters: {
      cookies: () => '',
      storage: null,
      channel: () => null,
      dpopKeys: (name) => ({
        load: () => Promise.resolve(keys.get(name) ?? null),
        save: (pair) => Promise.resolve(void keys.set(name, pair)),
      }),
    },
  })
  return { client, keys, requests }
}
const started = (location: string) => Response.json({ location })

describe('loginWithRedirect() in a browser that binds its sessions', () => {
  it('asks the BFF to start with a DPoP proof, then navigates to the provider', async () => {
    const { client, keys, requests } = bindingClient(() =>
      started('https://idp.example/authorize?request_uri=urn:1'),
    )
    await client.loginWithRedirect({ prompt: 'login', maxAge: 0 })
    expect(assign.mock.calls).toEqual([['https://idp.example/authorize?request_uri=urn:1']])
    expect(requests).toHaveLength(1)
    const [request] = requests
    expect(request!.url).toBe('/auth/oidc/login')
    expect(request!.body).toEqual({ returnTo: '/orders/7?tab=2#top', prompt: 'login', maxAge: 0 })
    expect(request!.headers['x-csrf']).toBe('1')
    const proof = request!.headers['dpop']!
    expect(part(proof, 1)).toMatchObject({
      htm: 'POST',
      htu: 'https://app.example/auth/oidc/login',
    })
    // The key was made for it and kept: the session the provider's callback starts is bound to it.
    expect(keys.size).toBe(1)
  })

  it('signs with the key the browser holds: a sign-in left at the provider ends no session', async () => {
    const { client, keys, requests } = bindingClient(() => started('https://idp.example/a'))
    await client.loginWithRedirect()
    const stored = [...keys.values()][0]
    await client.loginWithRedirect()
    expect([...keys.values()]).toEqual([stored])
    const [first, second] = requests.map((r) => part(r.headers['dpop']!, 0)['jwk'])
    expect(second).toEqual(first)
  })

  it('a second call while the first is on its way joins it: one transaction, one navigation', async () => {
    const { client, requests } = bindingClient(() => started('https://idp.example/once'))
    await Promise.all([client.loginWithRedirect(), client.loginWithRedirect()])
    expect(requests).toHaveLength(1)
    expect(assign.mock.calls).toEqual([['https://idp.example/once']])
    // Once it settled, a new call starts anew (the user pressed stop, or came back).
    await client.loginWithRedirect()
    expect(requests).toHaveLength(2)
  })

  it('sends it again with the nonce the BFF asks for', async () => {
    const { client, requests } = bindingClient((call) =>
      call === 1
        ? Response.json(
            { error: { code: 'use_dpop_nonce', message: 'Sign again.' } },
            { status: 400, headers: { 'dpop-nonce': 'n-1' } },
          )
        : started('https://idp.example/b'),
    )
    await client.loginWithRedirect()
    expect(requests.map((r) => part(r.headers['dpop']!, 1)['nonce'])).toEqual([undefined, 'n-1'])
    expect(assign.mock.calls).toEqual([['https://idp.example/b']])
  })

  it('rejects with a typed error and stays on the page when the BFF refuses', async () => {
    const { client } = bindingClient(() =>
      Response.json(
        { error: { code: 'rate_limited', message: 'Too many requests from this address.' } },
        { status: 429, headers: { 'retry-after': '30' } },
      ),
    )
    await expect(client.loginWithRedirect()).rejects.toMatchObject({
      code: 'rate_limited',
      retryAfter: 30,
    })
    expect(assign).not.toHaveBeenCalled()
  })

  it('rejects with network_unavailable when the provider is down (503)', async () => {
    const { client } = bindingClient(() =>
      Response.json(
        {
          error: { code: 'provider_unavailable', message: 'The identity provider is unavailable.' },
        },
        { status: 503, headers: { 'retry-after': '1' } },
      ),
    )
    await expect(client.loginWithRedirect()).rejects.toMatchObject({
      code: 'network_unavailable',
      serverCode: 'provider_unavailable',
    })
    expect(assign).not.toHaveBeenCalled()
  })
})

describe('logout() of a session signed in through the provider', () => {
  it('goes on to {baseUrl}/oidc/logout once the BFF confirmed, when it left the marker', async () => {
    const { client, calls } = withBff(204, () => 'baton_session=1; baton_oidc_end_hint=1')
    await client.logout()
    expect(calls).toEqual(['/auth/logout'])
    expect(assign.mock.calls).toEqual([['/auth/oidc/logout']])
    expect(client.store.getState().status).toBe('unauthenticated')
  })

  it('stays on the page for a password session (no marker)', async () => {
    const { client } = withBff(
      204,
      () => 'baton_session=1; baton_oidc_end=1; x=baton_oidc_end_hint=1',
    )
    await client.logout()
    expect(assign).not.toHaveBeenCalled()
  })

  it('stays on the page with endProviderSession: false', async () => {
    const { client } = withBff(204, () => 'baton_oidc_end_hint=1')
    await client.logout({ endProviderSession: false })
    expect(assign).not.toHaveBeenCalled()
  })

  it('does not navigate when the BFF did not confirm the sign-out', async () => {
    const { client } = withBff(503, () => 'baton_oidc_end_hint=1')
    await expect(client.logout()).rejects.toMatchObject({ code: 'network_unavailable' })
    expect(assign).not.toHaveBeenCalled()
  })

  it('does not navigate where cookies cannot be read', async () => {
    const { client } = withBff(204, () => null)
    await client.logout()
    expect(assign).not.toHaveBeenCalled()
  })
})
