/**
 * `loginWithRedirect()` on a destroyed client: it rejects with `client_destroyed`, as `login()`
 * does, and navigates nowhere, even in a browser without a device key (where the sign-in is a
 * plain navigation).
 */
import { createSessionClient, type SessionClient } from '@baton/client'
import { afterEach, describe, expect, it, vi } from 'vitest'

const clients: SessionClient[] = []
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy()
  vi.unstubAllGlobals()
})

describe('loginWithRedirect() after destroy()', () => {
  it('rejects with client_destroyed and leaves the page where it is, as login() does', async () => {
    const assign = vi.fn<(url: string) => void>()
    vi.stubGlobal('location', {
      assign,
      href: 'https://app.example/a',
      origin: 'https://app.example',
      pathname: '/a',
      search: '',
      hash: '',
    })
    // A browser without a device key (no IndexedDB): the sign-in is a plain navigation.
    const client = createSessionClient({
      baseUrl: '/auth',
      fetch: () => Promise.resolve(new Response(null, { status: 204 })),
      adapters: { cookies: () => '', storage: null, channel: () => null, dpopKeys: null },
    })
    clients.push(client)
    client.destroy()
    await expect(client.login({ username: 'a', password: 'b' })).rejects.toMatchObject({
      code: 'client_destroyed',
    })
    await expect(client.loginWithRedirect()).rejects.toMatchObject({ code: 'client_destroyed' })
    expect(assign).not.toHaveBeenCalled()
  })
})
