/**
 * The request queue and the 401 path (issue #3, item 3): requests wait while a refresh runs in any
 * tab, go out with the new token, can be aborted, time out, and are bounded.
 */
import { HTTPError, isBatonError, RefreshNetworkError } from '@baton/client'
import { describe, expect, it } from 'vitest'
import { signedInTabs, until, useBrowser } from './harness'

const env = useBrowser()

const signedIn = async (options = {}) => (await signedInTabs(env.browser, 1, options))[0]!

describe('requests during a refresh', () => {
  it('wait in every tab while a peer refreshes, then go out with the new token', async () => {
    const a = await signedIn()
    const b = env.browser.open()
    await b.client.start()
    const oldToken = await b.client.getAccessToken()
    env.server.refreshDelayMs = 300
    a.client.invalidateAccessToken()
    const refreshing = a.client.getAccessToken()
    await until(() => env.server.refreshConcurrency.now === 1, 1_000, 'the refresh to start')
    // b's token is still valid, but a refresh is running: b's requests queue behind it.
    await until(
      () => b.events.some((e) => e.type === 'refresh-start' && e.source === 'peer'),
      1_000,
    )
    const calls = Array.from({ length: 5 }, () => b.client.api.get('me').json())
    await until(
      () => b.events.some((e) => e.type === 'queued' && e.waiting === 5),
      1_000,
      'b to queue',
    )
    expect(env.server.apiCalls).toHaveLength(0)
    await Promise.all(calls)
    const newToken = await refreshing
    expect(newToken).not.toBe(oldToken)
    expect(env.server.apiCalls.map((call) => call.token)).toEqual(Array(5).fill(newToken))
    expect(b.events).toContainEqual({ type: 'released', count: 5 })
  })

  it('an aborted queued request rejects with the abort reason and never reaches the API', async () => {
    const tab = await signedIn()
    env.server.refreshDelayMs = 300
    tab.client.invalidateAccessToken()
    const controller = new AbortController()
    const aborted = tab.client.api.get('me', { signal: controller.signal })
    const kept = tab.client.api.get('me').json<{ id: string }>()
    await until(() => tab.events.filter((e) => e.type === 'queued').length === 2, 1_000)
    controller.abort(new Error('user navigated away'))
    await expect(aborted).rejects.toThrow('user navigated away')
    await expect(kept).resolves.toEqual({ id: 'u-alice', sessionId: expect.any(String) })
    expect(env.server.apiCalls).toHaveLength(1)
  })

  it('getAccessToken honours an already aborted signal', async () => {
    const tab = await signedIn()
    tab.client.invalidateAccessToken()
    const controller = new AbortController()
    controller.abort(new Error('too late'))
    await expect(tab.client.getAccessToken({ signal: controller.signal })).rejects.toThrow(
      'too late',
    )
  })

  it('rejects requests beyond maxQueue with queue_full, and serves the others', async () => {
    const tab = await signedIn({ maxQueue: 3 })
    env.server.refreshDelayMs = 200
    tab.client.invalidateAccessToken()
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => tab.client.getAccessToken()),
    )
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
    ])
    for (const result of results.slice(3)) {
      expect(result).toMatchObject({ status: 'rejected', reason: { code: 'queue_full' } })
    }
  })
})

describe('a 401 from the API', () => {
  it('refreshes once (for the whole burst) and retries each request once with the new token', async () => {
    const tab = await signedIn()
    const first = await tab.client.getAccessToken()
    env.server.rejectToken = (token) => token === first
    const before = env.server.refreshCount()
    const results = await Promise.all(
      Array.from({ length: 10 }, () => tab.client.api.get('me').json()),
    )
    expect(results).toHaveLength(10)
    expect(env.server.refreshCount() - before).toBe(1)
    const second = await tab.client.getAccessToken()
    expect(env.server.apiCalls.filter((c) => c.token === first).map((c) => c.status)).toEqual(
      Array(10).fill(401),
    )
    expect(env.server.apiCalls.filter((c) => c.token === second).map((c) => c.status)).toEqual(
      Array(10).fill(200),
    )
  })

  it('returns a second 401 to the caller as HTTPError, after exactly one retry', async () => {
    const tab = await signedIn()
    env.server.rejectToken = () => true
    const before = env.server.refreshCount()
    const error: unknown = await tab.client.api.get('me').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HTTPError)
    expect((error as HTTPError).response.status).toBe(401)
    expect(env.server.apiCalls.map((c) => c.status)).toEqual([401, 401])
    expect(env.server.refreshCount() - before).toBe(1)
  })

  it('never retries with the refused token when the refresh after a 401 fails on the network', async () => {
    const tab = await signedIn({ queueTimeout: 500 })
    env.server.rejectToken = () => true
    env.browser.offline = true
    const error: unknown = await tab.client.api.get('me').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RefreshNetworkError)
    expect(env.server.apiCalls.map((c) => c.status)).toEqual([401])
    expect(tab.client.store.getState().status).toBe('authenticated')
  })

  it('retries a request with a body with the same body', async () => {
    const tab = await signedIn()
    const first = await tab.client.getAccessToken()
    env.server.rejectToken = (token) => token === first
    const echoed = await tab.client.api.post('echo', { json: { note: 'héllo' } }).json()
    expect(echoed).toEqual({ body: { note: 'héllo' } })
    expect(env.server.apiCalls.map((c) => c.status)).toEqual([401, 200])
  })

  it('works the same through baton.fetch, which resolves with the Response instead of throwing', async () => {
    const tab = await signedIn()
    const first = await tab.client.getAccessToken()
    env.server.rejectToken = (token) => token === first
    const ok = await tab.client.fetch(`${env.server.origin}/api/me`)
    expect(ok.status).toBe(200)
    env.server.rejectToken = () => true
    const denied = await tab.client.fetch(new Request(`${env.server.origin}/api/me`))
    expect(denied.status).toBe(401)
    expect(env.server.apiCalls.map((c) => c.status)).toEqual([401, 200, 401, 401])
  })

  it('does not retry session errors thrown before the request (ky retry disabled for them)', async () => {
    const tab = env.browser.open({ api: { prefixUrl: `${env.server.origin}/api`, retry: 2 } })
    await tab.client.start()
    const error: unknown = await tab.client.api.get('me').catch((e: unknown) => e)
    expect(isBatonError(error) && error.code).toBe('session_expired')
    expect(env.server.apiCalls).toHaveLength(0)
  })
})
