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
    client.loginWithRedirect()
    expect(assign.mock.calls).toEqual([['/auth/oidc/login?returnTo=%2Forders%2F7%3Ftab%3D2%23top']])
    expect(calls).toEqual([])
  })

  it('passes returnTo, prompt and max_age through, encoded', () => {
    const { client } = withBff(204, () => '')
    client.loginWithRedirect({ returnTo: '/a b?c=d&e', prompt: 'login', maxAge: 300 })
    expect(assign.mock.calls).toEqual([
      ['/auth/oidc/login?returnTo=%2Fa+b%3Fc%3Dd%26e&prompt=login&max_age=300'],
    ])
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
