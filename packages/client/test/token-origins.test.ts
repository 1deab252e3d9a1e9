/**
 * The bearer token goes only where it is meant to (issue 12, L4): `client.fetch` (and so
 * `createKy`) attaches it to the page's origin and the BFF's, or to `tokenOrigins`; a request to
 * any other origin goes out untouched, and its 401 is an ordinary response, never a refresh.
 */
import { createSessionClient } from '@baton/client'
import { createKy, HTTPError } from '@baton/client/ky'
import { describe, expect, it, vi } from 'vitest'
import { ORIGIN, run, signedInTabs, useBrowser } from './harness'

const env = useBrowser()

const THIRD_PARTY = 'https://tracker.example'

describe('a request to another origin', () => {
  it('gets no token, and its 401 is returned as it is, without a refresh', async () => {
    const [tab] = await signedInTabs(env.browser, 1)
    const before = env.server.refreshCount()
    const response = await run(tab!.client.fetch(`${THIRD_PARTY}/api/me`))
    expect(response.status).toBe(401)
    expect(env.server.apiCalls).toEqual([{ path: '/api/me', status: 401, token: null }])
    expect(env.server.refreshCount()).toBe(before)
    // The same through ky: an HTTPError, still no refresh, and the session goes on.
    const api = createKy(tab!.client, { prefixUrl: `${THIRD_PARTY}/api`, retry: 0 })
    await expect(run(api.get('me'))).rejects.toBeInstanceOf(HTTPError)
    expect(env.server.apiCalls.map((call) => call.token)).toEqual([null, null])
    expect(env.server.refreshCount()).toBe(before)
    expect(tab!.client.store.getState().status).toBe('authenticated')
  })

  it('goes out untouched: its own Authorization header, no wait for a session', async () => {
    const tab = env.browser.open()
    // Not started, not signed in: a third-party call needs neither.
    const response = await run(
      tab.client.fetch(`${THIRD_PARTY}/api/echo`, {
        method: 'POST',
        headers: { authorization: 'Basic dGhlaXJzOnRva2Vu', 'content-type': 'application/json' },
        body: '{"a":1}',
      }),
    )
    expect(response.status).toBe(401)
    expect(env.server.apiCalls).toEqual([
      { path: '/api/echo', status: 401, token: 'Basic dGhlaXJzOnRva2Vu' },
    ])
    expect(env.server.refreshCount()).toBe(0)
    expect(tab.client.store.getState().status).toBe('loading')
  })

  it('the BFF origin and the page origin get the token by default', async () => {
    vi.stubGlobal('location', { href: 'https://page.example/app', origin: 'https://page.example' })
    const [tab] = await signedInTabs(env.browser, 1)
    const token = await tab!.client.getAccessToken()
    for (const origin of [ORIGIN, 'https://page.example', 'https://page.example:8443']) {
      await run(tab!.client.fetch(`${origin}/api/me`))
    }
    expect(env.server.apiCalls.map((call) => call.token)).toEqual([token, token, null])
  })
})

describe('tokenOrigins', () => {
  it('replaces the page origin; the BFF origin is always allowed', async () => {
    vi.stubGlobal('location', { href: 'https://page.example/app', origin: 'https://page.example' })
    const [tab] = await signedInTabs(env.browser, 1, { tokenOrigins: ['https://api.example'] })
    const token = await tab!.client.getAccessToken()
    for (const origin of ['https://api.example', ORIGIN, 'https://page.example']) {
      await run(tab!.client.fetch(`${origin}/api/me`))
    }
    expect(env.server.apiCalls.map((call) => call.token)).toEqual([token, token, null])
    await expect(run(tab!.client.sessions.list())).resolves.toHaveLength(1)
  })

  it('is checked when the client is created', () => {
    const message =
      'createSessionClient: tokenOrigins must be an array of origins such as "https://api.example", got '
    for (const tokenOrigins of [
      'https://api.example',
      ['https://api.example/'],
      ['https://api.example/v1'],
      ['api.example'],
      ['*'],
      [''],
      [null],
    ]) {
      expect(() =>
        createSessionClient({ tokenOrigins: tokenOrigins as readonly string[] }),
      ).toThrow(new TypeError(`${message}${String(tokenOrigins)}`))
    }
    expect(() => createSessionClient({ tokenOrigins: [] }).destroy()).not.toThrow()
  })
})
