/**
 * The request queue and the 401 path (issue #3, item 3): requests wait while a refresh runs in any
 * tab, go out with the new token, can be aborted, time out, and are bounded; through
 * `client.fetch` and through `@baton/client/ky`.
 */
import { isBatonError, RefreshNetworkError, type SessionClient } from '@baton/client'
import { createKy, HTTPError } from '@baton/client/ky'
import { describe, expect, it } from 'vitest'
import { abortingOn401, drain, ORIGIN, run, signedInTabs, useBrowser } from './harness'

const env = useBrowser()

const signedIn = async (options = {}) => (await signedInTabs(env.browser, 1, options))[0]!

describe('requests during a refresh', () => {
  it('wait in every tab while a peer refreshes, then go out with the new token', async () => {
    const a = await signedIn()
    const b = env.browser.open()
    await run(b.client.start())
    const oldToken = await b.client.getAccessToken()
    env.server.refreshDelayMs = 300
    a.client.invalidateAccessToken()
    const refreshing = a.client.getAccessToken()
    await drain()
    expect(env.server.refreshConcurrency.now).toBe(1) // the refresh is at the BFF
    // b's token is still valid, but a refresh is running: b's requests queue behind it.
    expect(b.events).toContainEqual({ type: 'refresh_start', source: 'peer' })
    const calls = Array.from({ length: 5 }, () => b.api.get('me').json())
    await drain()
    expect(b.events).toContainEqual({ type: 'queued', waiting: 5 })
    expect(env.server.apiCalls).toHaveLength(0)
    await run(Promise.all(calls))
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
    const aborted = tab.api.get('me', { signal: controller.signal })
    aborted.catch(() => {})
    const kept = tab.api.get('me').json<{ id: string }>()
    await drain()
    expect(tab.events.filter((e) => e.type === 'queued')).toHaveLength(2)
    controller.abort(new Error('user navigated away'))
    await expect(aborted).rejects.toThrow('user navigated away')
    await expect(run(kept)).resolves.toEqual({
      id: 'u-alice',
      sessionId: expect.any(String) as string,
    })
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
    const results = await run(
      Promise.allSettled(Array.from({ length: 5 }, () => tab.client.getAccessToken())),
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
    const results = await run(
      Promise.all(Array.from({ length: 10 }, () => tab.api.get('me').json())),
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
    const error: unknown = await run(tab.api.get('me')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HTTPError)
    expect((error as HTTPError).response.status).toBe(401)
    expect(env.server.apiCalls.map((c) => c.status)).toEqual([401, 401])
    expect(env.server.refreshCount() - before).toBe(1)
  })

  it('never retries with the refused token when the refresh after a 401 fails on the network', async () => {
    const tab = await signedIn({ queueTimeout: 500 })
    env.server.rejectToken = () => true
    env.browser.offline = true
    const error: unknown = await run(tab.api.get('me')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RefreshNetworkError)
    expect(env.server.apiCalls.map((c) => c.status)).toEqual([401])
    expect(tab.client.store.getState().status).toBe('authenticated')
  })

  it('retries a request with a body with the same body', async () => {
    const tab = await signedIn()
    const first = await tab.client.getAccessToken()
    env.server.rejectToken = (token) => token === first
    const echoed = await run(tab.api.post('echo', { json: { note: 'héllo' } }).json())
    expect(echoed).toEqual({ body: { note: 'héllo' } })
    expect(env.server.apiCalls.map((c) => c.status)).toEqual([401, 200])
  })

  it('works the same through baton.fetch, which resolves with the Response instead of throwing', async () => {
    const tab = await signedIn()
    const first = await tab.client.getAccessToken()
    env.server.rejectToken = (token) => token === first
    const ok = await run(tab.client.fetch(`${ORIGIN}/api/me`))
    expect(ok.status).toBe(200)
    env.server.rejectToken = () => true
    const denied = await run(tab.client.fetch(new Request(`${ORIGIN}/api/me`)))
    expect(denied.status).toBe(401)
    expect(env.server.apiCalls.map((c) => c.status)).toEqual([401, 200, 401, 401])
  })

  const json = { 'content-type': 'application/json' }
  const streamOf = (text: string) => {
    const bytes = new TextEncoder().encode(text)
    return new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 5))
        controller.enqueue(bytes.slice(5))
        controller.close()
      },
    })
  }
  it.each<[string, (url: string, body: string) => Parameters<SessionClient['fetch']>]>([
    ['a string', (url, body) => [url, { method: 'POST', headers: json, body }]],
    // Read once: the spare for the retry is a clone.
    [
      'a stream',
      (url, body) => [
        url,
        { method: 'POST', headers: json, body: streamOf(body), duplex: 'half' } as RequestInit,
      ],
    ],
    ['a Request', (url, body) => [new Request(url, { method: 'POST', headers: json, body })]],
  ])(
    'baton.fetch retries %s body whole after a 401, with the caller’s headers',
    async (_, args) => {
      const tab = await signedIn()
      const first = await tab.client.getAccessToken()
      env.server.rejectToken = (token) => token === first
      const response = await run(
        tab.client.fetch(...args(`${ORIGIN}/api/echo`, JSON.stringify({ note: 'again' }))),
      )
      expect(await response.json()).toEqual({ body: { note: 'again' } })
      expect(env.server.apiCalls.map((c) => c.status)).toEqual([401, 200])
    },
  )

  it('does not retry session errors thrown before the request (ky retry disabled for them)', async () => {
    const tab = env.browser.open({}, { api: { retry: 2 } })
    await run(tab.client.start())
    const error: unknown = await run(tab.api.get('me')).catch((e: unknown) => e)
    expect(isBatonError(error) && error.code).toBe('session_expired')
    expect(env.server.apiCalls).toHaveLength(0)
  })
})

describe('ky: Baton errors are never retried by ky, whatever retry the call or extend() gives', () => {
  const counting = (client: SessionClient) => {
    const calls = { n: 0 }
    const wrapped: Pick<SessionClient, 'fetch'> = {
      fetch: (input, init) => (calls.n++, client.fetch(input, init)),
    }
    return { calls, wrapped }
  }

  it('with a per-call retry count, a SessionExpiredError is not retried', async () => {
    const tab = env.browser.open()
    await run(tab.client.start())
    const { calls, wrapped } = counting(tab.client)
    const api = createKy(wrapped, { prefixUrl: `${ORIGIN}/api` })
    const error: unknown = await run(api.get('me', { retry: 2 })).catch((e: unknown) => e)
    expect(isBatonError(error) && error.code).toBe('session_expired')
    expect(calls.n).toBe(1)
  })

  it('after api.extend({ retry }), a SessionExpiredError is not retried', async () => {
    const tab = env.browser.open()
    await run(tab.client.start())
    const { calls, wrapped } = counting(tab.client)
    const api = createKy(wrapped, { prefixUrl: `${ORIGIN}/api` }).extend({ retry: 2 })
    const error: unknown = await run(api.get('me')).catch((e: unknown) => e)
    expect(isBatonError(error) && error.code).toBe('session_expired')
    expect(calls.n).toBe(1)
  })

  it('with a per-call retry count, a RefreshNetworkError (queue timeout) is not waited for again', async () => {
    const [tab] = await signedInTabs(env.browser, 1, { queueTimeout: 500 })
    const { calls, wrapped } = counting(tab!.client)
    const api = createKy(wrapped, { prefixUrl: `${ORIGIN}/api`, timeout: false })
    env.server.rejectToken = () => true
    env.browser.offline = true
    const error: unknown = await run(api.get('me', { retry: 2 })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RefreshNetworkError)
    expect(env.server.apiCalls.map((c) => c.status)).toEqual([401])
    // Before: 3 calls, each waiting queueTimeout again (a per-call retry dropped shouldRetry).
    expect(calls.n).toBe(1)
  })
})

describe('a request aborted once its 401 arrived', () => {
  it('an aborted request triggers no refresh', async () => {
    const aborting = abortingOn401(env.browser)
    const [tab] = await signedInTabs(env.browser, 1, { fetch: aborting.fetch })
    const before = env.server.refreshCount()
    env.server.rejectToken = () => true
    aborting.arm()
    const error: unknown = await run(
      tab!.client.fetch(`${ORIGIN}/api/me`, { signal: aborting.signal }),
    ).catch((e: unknown) => e)
    expect(error).toEqual(new Error('gone'))
    await drain()
    // Before: the refresh went out all the same.
    expect(env.server.refreshCount() - before).toBe(0)
  })
})
