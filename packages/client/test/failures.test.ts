/**
 * When refresh fails (issue #3, items 4 and 5): a 401 ends the session in every tab; a network
 * error or a 5xx never does, and the client retries with backoff and on wake-up events.
 */
import { RefreshNetworkError, SessionExpiredError, type SessionStatus } from '@baton/client'
import { TAB_PROTOCOL_VERSION } from '@baton/protocol'
import { describe, expect, it } from 'vitest'
import { advance, drain, ORIGIN, run, signedInTabs, type Tab, useBrowser, waitFor } from './harness'

const env = useBrowser()

const statusesOf = (tab: Tab) => {
  const seen: SessionStatus[] = []
  tab.client.store.subscribe((state) => seen.push(state.status))
  return seen
}

describe('a refresh answered 401 (item 4)', () => {
  it('a revoked session makes every tab unauthenticated and rejects queued requests', async () => {
    const tabs = await signedInTabs(env.browser, 3, {}, { document: true })
    const sessionId = tabs[0]!.client.store.getState().sessionId!
    await env.server.store.revoke(sessionId, 'revoked', Date.now())
    tabs[0]!.client.invalidateAccessToken()
    const queued = Array.from({ length: 5 }, () => tabs[0]!.api.get('me').json())
    const results = await run(Promise.allSettled(queued))
    for (const result of results) {
      expect(result.status).toBe('rejected')
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(SessionExpiredError)
      expect((result as PromiseRejectedResult).reason).toMatchObject({
        code: 'session_expired',
        reason: 'session_revoked',
        serverCode: 'session_revoked',
        status: 401,
      })
    }
    await drain()
    for (const tab of tabs) {
      expect(tab.client.store.getState().status).toBe('unauthenticated')
      expect(tab.client.store.getState().error).toMatchObject({ reason: 'session_revoked' })
    }
    expect(env.server.apiCalls).toHaveLength(0)
  })

  it('theft detected on the server (a replayed cookie) signs every tab out with refresh_token_reused', async () => {
    // No grace window: the replay below comes at once and must still count as reuse.
    env.restart({ gracePeriod: 0 })
    const [a, b] = await signedInTabs(env.browser, 2)
    const [name, { value: copy }] = [...env.browser.cookies].find(([, c]) => c.httpOnly)!
    a!.client.invalidateAccessToken()
    await run(a!.client.getAccessToken()) // rotates the cookie in the jar
    const replay = await env.server.app.request(`${ORIGIN}/auth/refresh`, {
      method: 'POST',
      headers: { 'x-csrf': '1', origin: ORIGIN, cookie: `${name}=${copy}` },
    })
    expect(replay.status).toBe(401)
    expect(await replay.json()).toMatchObject({ error: { code: 'refresh_token_reused' } })
    b!.client.invalidateAccessToken()
    await expect(run(b!.client.getAccessToken())).rejects.toMatchObject({
      reason: 'refresh_token_reused',
    })
    await drain()
    expect([a!, b!].map((tab) => tab.client.store.getState().status)).toEqual([
      'unauthenticated',
      'unauthenticated',
    ])
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
    await waitFor(() => env.server.refreshCount() - before >= 4, 'four attempts', 3_000)
    expect(tab!.client.store.getState().status).toBe('authenticated')
    expect(tab!.client.store.getState().error).toBeInstanceOf(RefreshNetworkError)
    const delays = tab!.events.flatMap((e) => (e.type === 'retry_scheduled' ? [e.delay] : []))
    expect(delays.length).toBeGreaterThanOrEqual(3)
    // Equal jitter: each delay lies in [step / 2, step], steps 100, 200, 200, …
    expect(delays[0]).toBeGreaterThanOrEqual(50)
    expect(delays[0]).toBeLessThanOrEqual(100)
    for (const delay of delays.slice(1)) {
      expect(delay).toBeGreaterThanOrEqual(100)
      expect(delay).toBeLessThanOrEqual(200)
    }
    env.server.refreshOutage = false
    await waitFor(() => tab!.client.store.getState().error === null, 'recovery', 2_000)
    expect(statuses).not.toContain('unauthenticated')
  })

  it('queued requests reject with RefreshNetworkError only after their timeout', async () => {
    const [tab] = await signedInTabs(env.browser, 1, { queueTimeout: 600 })
    env.browser.offline = true
    tab!.client.invalidateAccessToken()
    const startedAt = Date.now()
    let settledAt = 0
    const request = tab!.api.get('me').finally(() => (settledAt = Date.now()))
    request.catch(() => {})
    await advance(300)
    expect(settledAt).toBe(0)
    await expect(run(request)).rejects.toBeInstanceOf(RefreshNetworkError)
    expect(settledAt - startedAt).toBe(600)
    expect(tab!.client.store.getState().status).toBe('authenticated')
  })

  it('a 503 from the BFF (store down) is a network failure too', async () => {
    const [tab] = await signedInTabs(env.browser, 1, { queueTimeout: 300 })
    env.server.refreshOutage = true
    tab!.client.invalidateAccessToken()
    await expect(run(tab!.client.getAccessToken())).rejects.toMatchObject({
      code: 'network_unavailable',
    })
    expect(tab!.client.store.getState()).toMatchObject({
      status: 'authenticated',
      error: { status: 503, serverCode: 'store_unavailable', message: 'down' },
    })
  })

  it('a wake-up (online, visibilitychange, …) retries at once instead of waiting out the backoff', async () => {
    const [tab] = await signedInTabs(env.browser, 1, { retry: { initial: 60_000, max: 60_000 } })
    env.browser.offline = true
    tab!.client.invalidateAccessToken()
    void tab!.client.getAccessToken().catch(() => {})
    await waitFor(() => tab!.events.some((e) => e.type === 'retry_scheduled'), 'a retry')
    env.browser.offline = false
    const before = env.server.refreshCount()
    const wokenAt = Date.now()
    tab!.wake()
    await drain()
    expect(tab!.client.store.getState().error).toBeNull()
    expect(env.server.refreshCount() - before).toBe(1)
    expect(Date.now()).toBe(wokenAt)
  })

  // Before, a tab backing off answered each `hello` (and checked each `ended`) with a refresh at
  // once: 20 messages in 2 s made 21 calls to a BFF that was down, each pushing the retry out.
  it.each([
    ['hello', () => ({ type: 'hello' })],
    [
      'ended',
      (sessionId: string | null) => ({ type: 'ended', sessionId, reason: 'session_revoked' }),
    ],
  ])(
    'backing off, a stream of %s messages calls the BFF no sooner than the scheduled retry',
    async (_, message) => {
      const [tab] = await signedInTabs(env.browser, 1, { retry: { initial: 10_000, max: 60_000 } })
      env.server.refreshOutage = true // 503 store_unavailable, no Retry-After
      const before = env.server.refreshCount()
      tab!.client.invalidateAccessToken()
      void tab!.client.getAccessToken().catch(() => {})
      await drain()
      const failedAt = Date.now()
      expect(env.server.refreshCount() - before).toBe(1)
      const [delay] = tab!.events.flatMap((e) => (e.type === 'retry_scheduled' ? [e.delay] : []))
      expect(delay).toBeGreaterThanOrEqual(5_000) // equal jitter: the first retry in [5 s, 10 s]
      const { sessionId } = tab!.client.store.getState()
      // Tabs opened while the BFF is down, or any script of the origin.
      const intruder = env.browser.bus.open(`${env.browser.channel}:${TAB_PROTOCOL_VERSION}`)
      const heard: unknown[] = []
      intruder.subscribe((data) => heard.push(data))
      for (let i = 0; i < 20; i++) {
        intruder.post(message(sessionId))
        await advance(100)
      }
      expect(heard).toEqual([]) // a hello: nothing to hand over
      expect(tab!.client.store.getState().status).toBe('authenticated')
      expect(env.server.refreshCount() - before).toBe(1)
      env.server.refreshOutage = false
      await advance(failedAt + delay! - Date.now() - 1)
      expect(env.server.refreshCount() - before).toBe(1)
      await advance(1)
      expect(env.server.refreshCount() - before).toBe(2)
      expect(tab!.client.store.getState()).toMatchObject({ status: 'authenticated', error: null })
      intruder.close()
    },
  )

  // Before, the `ended` was left to the retry and the token kept going out meanwhile, as the user
  // who just signed out, up to retry.max. (Tabs that cannot read the companion cookie: a BFF on
  // another site, `sessionHintCookie: false`, these tabs without `document`.)
  it('backing off, a sign-out in another tab stops the token: requests wait for the retry, which ends the session', async () => {
    const [a, b] = await signedInTabs(env.browser, 2, { retry: { initial: 10_000, max: 30_000 } })
    // The proactive refresh fails on the network: both tabs back off, their tokens still valid.
    env.browser.offline = true
    await waitFor(() => b!.events.some((e) => e.type === 'retry_scheduled'), 'a failed refresh')
    await advance(500)
    env.browser.offline = false
    const before = env.server.refreshCount()
    await run(a!.client.logout())
    await drain()
    expect(env.server.logoutCount()).toBe(1)
    expect(env.server.refreshCount()).toBe(before) // still no refresh per message
    const error: unknown = await run(b!.client.fetch(`${ORIGIN}/api/me`)).then(
      (response) => `sent, answered ${response.status}`,
      (e: unknown) => e,
    )
    expect(env.server.apiCalls).toEqual([])
    expect(error).toBeInstanceOf(SessionExpiredError)
    expect(b!.client.store.getState().status).toBe('unauthenticated')
  })

  // Before, a 401 during the backoff made a refresh at once: the API's refusal says nothing of
  // the BFF, and that refresh, failing again, pushed the retry out for every waiting request.
  it('backing off, a 401 from the API waits for the scheduled retry, then the request goes again', async () => {
    const [tab] = await signedInTabs(env.browser, 1, {
      refreshMargin: '10s',
      retry: { initial: 4_000, max: 4_000 },
    })
    const used = await run(tab!.client.getAccessToken())
    env.server.refreshOutage = true
    const before = env.server.refreshCount()
    await waitFor(() => tab!.events.some((e) => e.type === 'retry_scheduled'), 'a retry')
    const failedAt = Date.now()
    const [delay] = tab!.events.flatMap((e) => (e.type === 'retry_scheduled' ? [e.delay] : []))
    // The proactive refresh failed, and its token, still valid, is the one the API refuses.
    expect(await run(tab!.client.getAccessToken())).toBe(used)
    env.server.rejectToken = (token) => token === used
    const request = tab!.api.get('me').json()
    request.catch(() => {})
    await drain()
    expect(env.server.refreshCount() - before).toBe(1)
    env.server.refreshOutage = false
    await advance(failedAt + delay! - Date.now() - 1)
    expect(env.server.refreshCount() - before).toBe(1)
    await advance(1)
    expect(await run(request)).toMatchObject({ id: 'u-alice' })
    expect(env.server.refreshCount() - before).toBe(2)
    expect(env.server.apiCalls.map((call) => call.status)).toEqual([401, 200])
  })

  it('a refresh that hangs is cut at requestTimeout, so the lock is released for the other tabs', async () => {
    const [a, b] = await signedInTabs(env.browser, 2, {
      requestTimeout: 300,
      queueTimeout: 5_000,
      retry: { initial: 50, max: 100 },
    })
    env.server.refreshDelayMs = 2_000
    a!.client.invalidateAccessToken()
    void a!.client.getAccessToken().catch(() => {})
    const startedAt = Date.now()
    const seen = a!.events.length
    await waitFor(
      () => a!.events.slice(seen).some((e) => e.type === 'refresh_end' && !e.ok),
      'the timeout',
    )
    expect(Date.now() - startedAt).toBe(300)
    expect(a!.events.slice(seen)).toContainEqual({
      type: 'refresh_end',
      source: 'local',
      ok: false,
      error: 'network_unavailable',
    })
    env.server.refreshDelayMs = 0
    b!.client.invalidateAccessToken()
    await expect(run(b!.client.getAccessToken())).resolves.toEqual(expect.any(String))
  })
})

describe('a baseUrl that does not reach the BFF (issue 19, point 4)', () => {
  it('login answered 404 without a Baton error body names the call and asks about baseUrl', async () => {
    const baseUrl = `${ORIGIN}/wrong`
    const tab = env.browser.open({ baseUrl })
    await run(tab.client.start())
    const refused = run(tab.client.login({ username: 'alice', password: 'alice-pw' }))
    await expect(refused).rejects.toMatchObject({ code: 'request_failed', status: 404 })
    await expect(refused).rejects.toThrow(
      `POST ${ORIGIN}/wrong/login answered 404 without a Baton error body: ` +
        `is baseUrl ("${ORIGIN}/wrong") the BFF's auth path?`,
    )
  })
})

describe('a CSRF refusal (issue 19, point 4)', () => {
  it('login from an origin the BFF does not allow carries the BFF’s code and its explanation', async () => {
    env.restart({ allowedOrigins: ['https://shop.example'] })
    const tab = env.browser.open()
    await run(tab.client.start())
    const refused = run(tab.client.login({ username: 'alice', password: 'alice-pw' }))
    await expect(refused).rejects.toMatchObject({
      code: 'csrf_failed',
      serverCode: 'csrf_failed',
      status: 403,
    })
    await expect(refused).rejects.toThrow(
      'This origin is not allowed to call the auth routes; add it to the BFF’s allowedOrigins.',
    )
    expect(tab.client.store.getState().status).toBe('unauthenticated')
  })
})
