/**
 * Lifecycle and state (issue #3, items 8 and 9, and "State and React-readiness"): waking up,
 * missing browser APIs, store notifications, start/destroy, options.
 */
import { createSessionClient, isBatonError, type SessionState } from '@baton/client'
import { describe, expect, it, vi } from 'vitest'
import { sleep, until, useBrowser } from './harness'

const env = useBrowser()

describe('a tab woken from sleep or background (item 8)', () => {
  it('checks expiry at once on visibilitychange instead of trusting its late timer', async () => {
    await env.restart({ accessTokenTtl: '3s' })
    const doc = Object.assign(new EventTarget(), { visibilityState: 'visible' })
    vi.stubGlobal('document', doc)
    const tab = env.browser.open()
    await tab.client.start()
    // From here on the client's timers never fire, like a frozen or throttled background tab.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] })
    await tab.client.login({ username: 'alice', password: 'alice-pw' })
    const before = env.server.refreshCount()
    await sleep(1_700) // past the refresh time (1.5 s before expiry of a 3 s token)
    expect(env.server.refreshCount()).toBe(before)
    doc.dispatchEvent(new Event('visibilitychange'))
    await until(() => env.server.refreshCount() === before + 1, 1_000, 'the wake-up refresh')
    await until(() => tab.client.store.getState().expiresAt! > Date.now() + 2_000, 1_000)
  })

  it('does not refresh on wake when the token is still fresh (no refetch on focus)', async () => {
    const win = new EventTarget()
    vi.stubGlobal('window', win)
    const tab = env.browser.open()
    await tab.client.start()
    await tab.client.login({ username: 'alice', password: 'alice-pw' })
    const before = env.server.refreshCount()
    for (let i = 0; i < 10; i++) win.dispatchEvent(new Event('focus'))
    await sleep(100)
    expect(env.server.refreshCount()).toBe(before)
  })
})

describe('without BroadcastChannel or Web Locks (item 9)', () => {
  it('works correctly in the one tab and says so once in a debug log', async () => {
    vi.stubGlobal('BroadcastChannel', undefined)
    const debug = vi.fn()
    const tab = env.browser.open({ logger: { debug } })
    await Promise.all([tab.client.start(), tab.client.start()])
    await tab.client.login({ username: 'alice', password: 'alice-pw' })
    const before = env.server.refreshCount()
    tab.client.invalidateAccessToken()
    const results = await Promise.all(
      Array.from({ length: 20 }, () => tab.client.api.get('me').json()),
    )
    expect(results).toHaveLength(20)
    expect(env.server.apiCalls).toHaveLength(20)
    expect(env.server.refreshCount() - before).toBe(1)
    expect(debug.mock.calls.map(([message]) => message)).toEqual([
      '[baton] No BroadcastChannel: this tab shares no tokens or sign-outs.',
      '[baton] No Web Locks: refreshes are serialised in this tab only.',
    ])
  })
})

describe('the store', () => {
  it('fires once per real change, never per request, and never holds the token', async () => {
    const tab = env.browser.open()
    const states: SessionState[] = []
    tab.client.store.subscribe((state) => states.push(state))
    await tab.client.start()
    await tab.client.login({ username: 'alice', password: 'alice-pw' })
    expect(states.map((s) => s.status)).toEqual(['unauthenticated', 'authenticated'])
    await Promise.all(Array.from({ length: 30 }, () => tab.client.api.get('me')))
    expect(states).toHaveLength(2)
    const token = await tab.client.getAccessToken()
    expect(JSON.stringify(tab.client.store.getState())).not.toContain(token)
    // A refresh changes expiresAt only: one notification, and the same user object.
    const user = tab.client.store.getState().user
    tab.client.invalidateAccessToken()
    await tab.client.getAccessToken()
    expect(states).toHaveLength(4) // expiresAt forced to now, then the new expiry
    expect(tab.client.store.getState().user).toBe(user)
  })

  it('is read-only for consumers', () => {
    const client = createSessionClient()
    expect(Object.keys(client.store).sort()).toEqual(['getInitialState', 'getState', 'subscribe'])
    expect(client.store.getInitialState()).toEqual({
      status: 'loading',
      user: null,
      sessionId: null,
      expiresAt: null,
      error: null,
    })
    client.destroy()
  })
})

describe('start, destroy and options', () => {
  it('a second start() is harmless: same boot, one refresh', async () => {
    const tab = env.browser.open()
    const first = tab.client.start()
    const second = tab.client.start()
    expect(second).toBe(first)
    await first
    expect(env.server.refreshCount()).toBe(1)
  })

  it('the first request starts the client by itself', async () => {
    const tab = env.browser.open()
    await expect(tab.client.getAccessToken()).rejects.toMatchObject({
      code: 'session_expired',
      reason: 'no_session',
    })
    expect(env.server.refreshCount()).toBe(1)
  })

  it('destroy() rejects waiting requests, stops timers and is final', async () => {
    const tab = env.browser.open()
    await tab.client.start()
    await tab.client.login({ username: 'alice', password: 'alice-pw' })
    env.server.refreshDelayMs = 300
    tab.client.invalidateAccessToken()
    const waiting = tab.client.getAccessToken()
    await until(
      () => env.server.refreshConcurrency.now === 1,
      1_000,
      'the refresh to reach the BFF',
    )
    tab.client.destroy()
    tab.client.destroy()
    await expect(waiting).rejects.toMatchObject({ code: 'client_destroyed' })
    await expect(tab.client.start()).rejects.toMatchObject({ code: 'client_destroyed' })
    await expect(tab.client.getAccessToken()).rejects.toMatchObject({ code: 'client_destroyed' })
    const before = env.server.refreshCount()
    await sleep(2_000)
    expect(env.server.refreshCount()).toBe(before)
  })

  it('rejects bad options with a TypeError naming the option', () => {
    expect(() => createSessionClient({ refreshMargin: -1 })).toThrow(
      new TypeError('createSessionClient: refreshMargin must be a non-negative number, got -1'),
    )
    expect(() => createSessionClient({ baseUrl: '' })).toThrow(/baseUrl/)
    expect(() => createSessionClient({ channel: '' })).toThrow(/channel/)
    expect(() => createSessionClient({ queueTimeout: Number.NaN })).toThrow(/queueTimeout/)
  })

  it('login errors are typed and leave the state alone', async () => {
    const tab = env.browser.open()
    await tab.client.start()
    const error: unknown = await tab.client
      .login({ username: 'alice', password: 'wrong' })
      .catch((e: unknown) => e)
    expect(isBatonError(error)).toBe(true)
    expect(error).toMatchObject({ code: 'invalid_credentials', status: 401 })
    expect(tab.client.store.getState().status).toBe('unauthenticated')
    env.server.loginRateLimited = true
    const limited: unknown = await tab.client
      .login({ username: 'alice', password: 'alice-pw' })
      .catch((e: unknown) => e)
    expect(limited).toMatchObject({ code: 'rate_limited', status: 429 })
    env.server.loginRateLimited = false
    env.browser.offline = true
    const empty: unknown = await tab.client
      .login({ username: '', password: 'x' })
      .catch((e: unknown) => e)
    expect(empty).toMatchObject({ code: 'invalid_request', status: 400 })
  })

  it('does not overflow its timers with tokens that live longer than 24.8 days', async () => {
    // setTimeout's delay is a 32-bit count of ms; past it, the proactive refresh would fire at
    // once, again and again.
    await env.restart({ accessTokenTtl: '40d', absoluteTimeout: '60d' })
    const tab = env.browser.open()
    await tab.client.start()
    await tab.client.login({ username: 'alice', password: 'alice-pw' })
    await sleep(300)
    expect(env.server.refreshCount()).toBe(1) // the boot refresh, before signing in
  })

  it('never touches localStorage, sessionStorage or cookies from script', async () => {
    const storage = { setItem: vi.fn(), getItem: vi.fn(), removeItem: vi.fn() }
    vi.stubGlobal('localStorage', storage)
    vi.stubGlobal('sessionStorage', storage)
    const tab = env.browser.open()
    await tab.client.start()
    await tab.client.login({ username: 'alice', password: 'alice-pw' })
    tab.client.invalidateAccessToken()
    await tab.client.getAccessToken()
    await tab.client.logout()
    expect(storage.setItem).not.toHaveBeenCalled()
    expect(storage.getItem).not.toHaveBeenCalled()
  })
})
