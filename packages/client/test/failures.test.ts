/**
 * When refresh fails (issue #3, items 4 and 5): a 401 ends the session in every tab; a network
 * error or a 5xx never does, and the client retries with backoff and on wake-up events.
 */
import { RefreshNetworkError, SessionExpiredError, type SessionStatus } from '@baton/client'
import { describe, expect, it, vi } from 'vitest'
import { signedInTabs, sleep, type Tab, until, useBrowser } from './harness'

const env = useBrowser()

const statusesOf = (tab: Tab) => {
  const seen: SessionStatus[] = []
  tab.client.store.subscribe((state) => seen.push(state.status))
  return seen
}

describe('a refresh answered 401 (item 4)', () => {
  it('a revoked session makes every tab unauthenticated and rejects queued requests', async () => {
    const tabs = await signedInTabs(env.browser, 3)
    const sessionId = tabs[0]!.client.store.getState().sessionId!
    await env.server.store.revoke(sessionId, 'revoked', Date.now())
    tabs[0]!.client.invalidateAccessToken()
    const queued = Array.from({ length: 5 }, () => tabs[0]!.client.api.get('me').json())
    const results = await Promise.allSettled(queued)
    for (const result of results) {
      expect(result.status).toBe('rejected')
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(SessionExpiredError)
      expect((result as PromiseRejectedResult).reason).toMatchObject({
        code: 'session_expired',
        reason: 'session_revoked',
      })
    }
    await until(
      () => tabs.every((tab) => tab.client.store.getState().status === 'unauthenticated'),
      1_000,
    )
    for (const tab of tabs) {
      expect(tab.client.store.getState().error).toMatchObject({ reason: 'session_revoked' })
    }
    expect(env.server.apiCalls).toHaveLength(0)
  })

  it('theft detected on the server (a replayed cookie) signs every tab out with refresh_token_reused', async () => {
    // No grace window: the replay below comes at once and must still count as reuse.
    await env.restart({ gracePeriod: 0 })
    const [a, b] = await signedInTabs(env.browser, 2)
    const copy = env.browser.cookies.get('baton_rt')!.value
    a!.client.invalidateAccessToken()
    await a!.client.getAccessToken() // rotates the cookie in the jar
    const replay = await fetch(`${env.server.origin}/auth/refresh`, {
      method: 'POST',
      headers: { 'x-csrf': '1', origin: env.server.origin, cookie: `baton_rt=${copy}` },
    })
    expect(replay.status).toBe(401)
    expect(await replay.json()).toMatchObject({ error: { code: 'refresh_token_reused' } })
    b!.client.invalidateAccessToken()
    await expect(b!.client.getAccessToken()).rejects.toMatchObject({
      reason: 'refresh_token_reused',
    })
    await until(
      () => [a!, b!].every((tab) => tab.client.store.getState().status === 'unauthenticated'),
      1_000,
    )
  })
})

describe('a refresh that fails on the network or with a 5xx (item 5)', () => {
  it('is not a logout: the status stays authenticated and refresh retries with backoff', async () => {
    const [tab] = await signedInTabs(env.browser, 1, { retry: { initial: 100, max: 200 } })
    const statuses = statusesOf(tab!)
    env.server.refreshOutage = true
    const before = env.server.refreshCount()
    tab!.client.invalidateAccessToken()
    void tab!.client.getAccessToken().catch(() => {})
    await until(() => env.server.refreshCount() - before >= 4, 3_000, 'four attempts')
    expect(tab!.client.store.getState().status).toBe('authenticated')
    expect(tab!.client.store.getState().error).toBeInstanceOf(RefreshNetworkError)
    const delays = tab!.events.flatMap((e) => (e.type === 'retry-scheduled' ? [e.delay] : []))
    expect(delays.length).toBeGreaterThanOrEqual(3)
    // Equal jitter: each delay lies in [step / 2, step], steps 100, 200, 200, …
    expect(delays[0]).toBeGreaterThanOrEqual(50)
    expect(delays[0]).toBeLessThanOrEqual(100)
    for (const delay of delays.slice(1)) {
      expect(delay).toBeGreaterThanOrEqual(100)
      expect(delay).toBeLessThanOrEqual(200)
    }
    env.server.refreshOutage = false
    await until(() => tab!.client.store.getState().error === null, 2_000, 'recovery')
    expect(statuses).not.toContain('unauthenticated')
  })

  it('network errors for 5 s then recovery: no logout, no lost request, in any tab', async () => {
    const tabs = await signedInTabs(env.browser, 3, {
      queueTimeout: 20_000,
      retry: { initial: 200, max: 1_000 },
    })
    const statuses = tabs.map(statusesOf)
    env.browser.offline = true
    for (const tab of tabs) tab.client.invalidateAccessToken()
    const requests = tabs.flatMap((tab) =>
      Array.from({ length: 10 }, () => tab.client.api.get('me').json()),
    )
    await sleep(5_000)
    expect(env.server.apiCalls).toHaveLength(0)
    env.browser.offline = false
    const results = await Promise.allSettled(requests)
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(30)
    for (const seen of statuses) expect(seen).not.toContain('unauthenticated')
    expect(env.server.events.filter((e) => e.type === 'reuse_detected')).toHaveLength(0)
  }, 20_000)

  it('queued requests reject with RefreshNetworkError only after their timeout', async () => {
    const [tab] = await signedInTabs(env.browser, 1, { queueTimeout: 600 })
    env.browser.offline = true
    tab!.client.invalidateAccessToken()
    const startedAt = Date.now()
    let settledAt = 0
    const request = tab!.client.api.get('me').finally(() => (settledAt = Date.now()))
    await sleep(300)
    expect(settledAt).toBe(0)
    await expect(request).rejects.toBeInstanceOf(RefreshNetworkError)
    expect(settledAt - startedAt).toBeGreaterThanOrEqual(590)
    expect(tab!.client.store.getState().status).toBe('authenticated')
  })

  it('a 503 from the BFF (store down) is a network failure too', async () => {
    const [tab] = await signedInTabs(env.browser, 1, { queueTimeout: 300 })
    env.server.refreshOutage = true
    tab!.client.invalidateAccessToken()
    await expect(tab!.client.getAccessToken()).rejects.toMatchObject({
      code: 'network_unavailable',
    })
    expect(tab!.client.store.getState()).toMatchObject({
      status: 'authenticated',
      error: { status: 503 },
    })
  })

  it.each(['online', 'visibilitychange'] as const)(
    'the %s event retries at once instead of waiting out the backoff',
    async (eventName) => {
      const win = new EventTarget()
      const doc = Object.assign(new EventTarget(), { visibilityState: 'visible' })
      vi.stubGlobal('window', win)
      vi.stubGlobal('document', doc)
      const [tab] = await signedInTabs(env.browser, 1, { retry: { initial: 60_000, max: 60_000 } })
      env.browser.offline = true
      tab!.client.invalidateAccessToken()
      void tab!.client.getAccessToken().catch(() => {})
      await until(() => tab!.events.some((e) => e.type === 'retry-scheduled'), 2_000)
      env.browser.offline = false
      const before = env.server.refreshCount()
      ;(eventName === 'online' ? win : doc).dispatchEvent(new Event(eventName))
      await until(() => tab!.client.store.getState().error === null, 1_000, 'the immediate retry')
      expect(env.server.refreshCount() - before).toBe(1)
    },
  )

  it('a refresh that hangs is cut at requestTimeout, so the lock is released for the other tabs', async () => {
    const [a, b] = await signedInTabs(env.browser, 2, {
      requestTimeout: 300,
      queueTimeout: 5_000,
      retry: { initial: 50, max: 100 },
    })
    env.server.refreshDelayMs = 2_000
    a!.client.invalidateAccessToken()
    void a!.client.getAccessToken().catch(() => {})
    await until(
      () => a!.events.some((e) => e.type === 'refresh-end' && !e.ok),
      2_000,
      'the timeout',
    )
    env.server.refreshDelayMs = 0
    b!.client.invalidateAccessToken()
    await expect(b!.client.getAccessToken()).resolves.toEqual(expect.any(String))
  })
})
