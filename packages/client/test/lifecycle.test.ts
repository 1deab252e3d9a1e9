/**
 * Lifecycle and state (issue #3, items 8 and 9, and "State and React-readiness"): waking up,
 * missing browser APIs, store notifications, start/destroy, options.
 */
import { createSessionClient, isBatonError, type SessionState } from '@baton/client'
import { TAB_PROTOCOL_VERSION } from '@baton/protocol'
import { describe, expect, it, vi } from 'vitest'
import { normalizeOptions } from '../src/normalize-options.js'
import { advance, drain, run, settled, signedInTabs, useBrowser } from './harness'

const env = useBrowser()

const signIn = (tab: ReturnType<typeof env.browser.open>) =>
  run(tab.client.login({ username: 'alice', password: 'alice-pw' }))

describe('a tab woken from sleep or background (item 8)', () => {
  it('checks expiry at once on a wake-up instead of trusting its late timer', async () => {
    env.restart({ accessTokenTtl: '3s' })
    const tab = env.browser.open()
    await run(tab.client.start())
    await signIn(tab)
    const before = env.server.refreshCount()
    // The wall clock moves past the refresh time (1.5 s before expiry of a 3 s token) while the
    // tab's timers do not fire, like a frozen or throttled background tab.
    vi.setSystemTime(Date.now() + 1_700)
    await drain()
    expect(env.server.refreshCount()).toBe(before)
    tab.wake()
    await drain()
    expect(env.server.refreshCount()).toBe(before + 1)
    expect(tab.client.store.getState().expiresAt!).toBe(Date.now() + 3_000)
  })

  it('does not refresh on wake when the token is still fresh (no refetch on focus)', async () => {
    const tab = env.browser.open()
    await run(tab.client.start())
    await signIn(tab)
    const before = env.server.refreshCount()
    for (let i = 0; i < 10; i++) tab.wake()
    await advance(100)
    expect(env.server.refreshCount()).toBe(before)
  })
})

describe('without BroadcastChannel or Web Locks (item 9)', () => {
  it('works correctly in the one tab and says so once in a debug log', async () => {
    vi.stubGlobal('BroadcastChannel', undefined)
    // Node 24 has navigator.locks (Node 22 does not): take it away, as an old browser would.
    vi.stubGlobal('navigator', { ...globalThis.navigator, locks: undefined })
    const debug = vi.fn<(message: string) => void>()
    const tab = env.browser.open({ logger: { debug } }, { defaults: ['lock', 'channel'] })
    await run(Promise.all([tab.client.start(), tab.client.start()]))
    await signIn(tab)
    const before = env.server.refreshCount()
    tab.client.invalidateAccessToken()
    const results = await run(
      Promise.all(Array.from({ length: 20 }, () => tab.api.get('me').json())),
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
    await run(tab.client.start())
    await signIn(tab)
    expect(states.map((s) => s.status)).toEqual(['unauthenticated', 'authenticated'])
    await run(Promise.all(Array.from({ length: 30 }, () => tab.api.get('me'))))
    expect(states).toHaveLength(2)
    const token = await tab.client.getAccessToken()
    expect(JSON.stringify(tab.client.store.getState())).not.toContain(token)
    // A refresh changes expiresAt only: one notification, and the same user object.
    const user = tab.client.store.getState().user
    tab.client.invalidateAccessToken()
    await run(tab.client.getAccessToken())
    expect(states).toHaveLength(4) // expiresAt forced to now, then the new expiry
    expect(tab.client.store.getState().user).toBe(user)
  })

  it('holds the token lifetime, so a countdown needs no state of its own', async () => {
    const tab = env.browser.open()
    await run(tab.client.start())
    expect(tab.client.store.getState().tokenLifetime).toBeNull()
    await signIn(tab)
    expect(tab.client.store.getState()).toMatchObject({
      tokenLifetime: 30_000,
      expiresAt: Date.now() + 30_000,
    })
    await run(tab.client.logout())
    expect(tab.client.store.getState()).toMatchObject({ tokenLifetime: null, expiresAt: null })
  })

  it('is read-only for consumers', () => {
    const client = createSessionClient()
    expect(Object.keys(client.store).sort()).toEqual(['getInitialState', 'getState', 'subscribe'])
    expect(client.store.getInitialState()).toEqual({
      status: 'loading',
      user: null,
      sessionId: null,
      expiresAt: null,
      tokenLifetime: null,
      error: null,
      endReason: null,
      stepUp: null,
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
    await run(first)
    expect(env.server.refreshCount()).toBe(1)
  })

  it('the first request starts the client by itself', async () => {
    const tab = env.browser.open()
    await expect(run(tab.client.getAccessToken())).rejects.toMatchObject({
      code: 'session_expired',
      reason: 'no_session',
    })
    expect(env.server.refreshCount()).toBe(1)
  })

  it('destroy() rejects waiting requests, stops timers and is final', async () => {
    const tab = env.browser.open()
    await run(tab.client.start())
    await signIn(tab)
    env.server.refreshDelayMs = 300
    tab.client.invalidateAccessToken()
    const waiting = tab.client.getAccessToken()
    waiting.catch(() => {})
    await drain()
    expect(env.server.refreshConcurrency.now).toBe(1) // the refresh reached the BFF
    tab.client.destroy()
    tab.client.destroy()
    await expect(waiting).rejects.toMatchObject({ code: 'client_destroyed' })
    await expect(tab.client.start()).rejects.toMatchObject({ code: 'client_destroyed' })
    await expect(tab.client.getAccessToken()).rejects.toMatchObject({ code: 'client_destroyed' })
    const before = env.server.refreshCount()
    await advance(120_000)
    expect(env.server.refreshCount()).toBe(before)
  })

  it('destroy() stops a sign-in queued behind another tab’s refresh: never sent, nothing adopted', async () => {
    const [a, b] = await signedInTabs(env.browser, 2)
    // a's refresh holds the cross-tab lock, so b's sign-in waits for it.
    env.server.refreshDelayMs = 500
    a!.client.invalidateAccessToken()
    const refreshing = a!.client.getAccessToken()
    await drain()
    expect(env.server.refreshConcurrency.now).toBe(1)
    const login = settled(b!.client.login({ username: 'bob', password: 'bob-pw' }))
    await drain()
    const state = b!.client.store.getState()
    b!.client.destroy()
    await run(refreshing)
    await advance(1_000)
    expect(login.error).toMatchObject({ code: 'client_destroyed' })
    expect(env.server.events.filter((e) => e.type === 'login')).toHaveLength(1) // alice's
    expect(b!.client.store.getState()).toBe(state)
  })

  it('destroy() while a refresh signs its DPoP proof: the refresh is not sent', async () => {
    const [tab] = await signedInTabs(env.browser, 1, {}, { dpop: true })
    const before = env.server.refreshCount()
    tab!.client.invalidateAccessToken()
    const waiting = tab!.client.getAccessToken()
    // The refresh has the lock and is signing (WebCrypto) when the client is destroyed.
    await Promise.resolve()
    await Promise.resolve()
    await Promise.resolve()
    tab!.client.destroy()
    await expect(waiting).rejects.toMatchObject({ code: 'client_destroyed' })
    await advance(1_000)
    expect(env.server.refreshCount()).toBe(before)
  })

  it('rejects bad options with a TypeError naming the option', () => {
    expect(() => createSessionClient({ refreshMargin: -1 })).toThrow(
      new TypeError(
        'createSessionClient: refreshMargin must be a non-negative number of milliseconds, got -1',
      ),
    )
    expect(() => createSessionClient({ baseUrl: '' })).toThrow(/baseUrl/)
    expect(() => createSessionClient({ channel: '' })).toThrow(/channel/)
    expect(() => createSessionClient({ queueTimeout: Number.NaN })).toThrow(/queueTimeout/)
    expect(() => createSessionClient({ requestTimeout: '10 minutes' as '10m' })).toThrow(
      new TypeError(
        'createSessionClient: requestTimeout must be a duration such as "10s", "5m" or "24h", got "10 minutes"',
      ),
    )
    expect(() => createSessionClient({ retry: { max: Infinity } })).toThrow(/retry\.max/)
    expect(() => createSessionClient({ maxQueue: -1 })).toThrow(
      new TypeError('createSessionClient: maxQueue must be a non-negative number, got -1'),
    )
    expect(() => createSessionClient({ sessionHintCookie: '' })).toThrow(
      new TypeError(
        'createSessionClient: sessionHintCookie must be a non-empty string or false, got ',
      ),
    )
  })

  it('applies the defaults README.md lists ("Quick start: @baton/client")', () => {
    const config = normalizeOptions({ baseUrl: 'https://app.example/auth' })
    expect({
      refreshMargin: config.refreshMargin,
      channel: config.channel,
      queueTimeout: config.queueTimeout,
      maxQueue: config.maxQueue,
      requestTimeout: config.requestTimeout,
      peerTimeout: config.peerTimeout,
      retryInitial: config.retryInitial,
      retryMax: config.retryMax,
      stepUpTimeout: config.stepUpTimeout,
      sessionHintCookie: config.sessionHintCookie,
    }).toStrictEqual({
      refreshMargin: 30_000,
      channel: 'baton:https://app.example/auth', // 'baton:' and the absolute URL of baseUrl
      queueTimeout: 35_000, // 3 × requestTimeout + 5 s: outlasts a hung lock's take-over
      maxQueue: 500,
      requestTimeout: 10_000,
      peerTimeout: 250,
      retryInitial: 1_000,
      retryMax: 30_000,
      stepUpTimeout: 300_000,
      sessionHintCookie: 'baton_session',
    })
  })

  it('derives the default queueTimeout from requestTimeout, and keeps a shorter one given', () => {
    expect(normalizeOptions({ requestTimeout: '20s' }).queueTimeout).toBe(65_000)
    expect(normalizeOptions({ requestTimeout: '20s', queueTimeout: '5s' }).queueTimeout).toBe(5_000)
  })

  it('takes durations as strings', async () => {
    const tab = env.browser.open({ queueTimeout: '2s', retry: { initial: '1s', max: '1s' } })
    await run(tab.client.start())
    await signIn(tab)
    env.browser.offline = true
    tab.client.invalidateAccessToken()
    const startedAt = Date.now()
    await expect(run(tab.client.getAccessToken())).rejects.toMatchObject({
      code: 'network_unavailable',
    })
    expect(Date.now() - startedAt).toBe(2_000)
  })

  it('login errors are typed, carry the BFF’s message, and leave the state alone', async () => {
    const tab = env.browser.open()
    await run(tab.client.start())
    const error: unknown = await run(
      tab.client.login({ username: 'alice', password: 'wrong' }),
    ).catch((e: unknown) => e)
    expect(isBatonError(error)).toBe(true)
    expect(error).toMatchObject({
      code: 'invalid_credentials',
      status: 401,
      serverCode: 'invalid_credentials',
      message: 'The username or password is incorrect.',
    })
    expect(tab.client.store.getState().status).toBe('unauthenticated')
    env.server.loginRateLimited = true
    const limited: unknown = await run(
      tab.client.login({ username: 'alice', password: 'alice-pw' }),
    ).catch((e: unknown) => e)
    expect(limited).toMatchObject({
      code: 'rate_limited',
      status: 429,
      message: 'Too many attempts.',
      retryAfter: 42,
    })
    env.server.loginRateLimited = false
    env.browser.offline = true
    const empty: unknown = await run(tab.client.login({ username: '', password: 'x' })).catch(
      (e: unknown) => e,
    )
    expect(empty).toMatchObject({ code: 'invalid_request', status: 400 })
  })

  it('does not overflow its timers with tokens that live longer than 24.8 days', async () => {
    // setTimeout's delay is a 32-bit count of ms; past it, the proactive refresh would fire at
    // once, again and again.
    env.restart({ accessTokenTtl: '40d', absoluteTimeout: '60d' })
    const tab = env.browser.open()
    await run(tab.client.start())
    await signIn(tab)
    await advance(300)
    expect(env.server.refreshCount()).toBe(1) // the boot refresh, before signing in
  })

  it('keeps no token in storage, nothing once signed out, and never writes a cookie from script', async () => {
    // localStorage holds a sign-out only while the BFF has not confirmed it (pending-logout
    // tests), and, while this tab holds a session, its random tab id in the presence marker
    // (issue 18: a starting tab that finds none refreshes at once; boot.test.ts): never a token
    // or a session id. A session that ends leaves no trace there; sessionStorage is never used.
    const stored = new Map<string, string>()
    const local = {
      getItem: vi.fn((key: string) => stored.get(key) ?? null),
      setItem: vi.fn((key: string, value: string) => void stored.set(key, value)),
      removeItem: vi.fn((key: string) => void stored.delete(key)),
    }
    const session = { setItem: vi.fn(), getItem: vi.fn(), removeItem: vi.fn() }
    vi.stubGlobal('localStorage', local)
    vi.stubGlobal('sessionStorage', session)
    const written: string[] = []
    vi.stubGlobal('document', {
      get cookie() {
        return env.browser.documentCookie()
      },
      set cookie(value: string) {
        written.push(value)
      },
    })
    const tab = env.browser.open({}, { defaults: ['cookies', 'storage'] })
    await run(tab.client.start())
    await signIn(tab)
    tab.client.invalidateAccessToken()
    const token = await run(tab.client.getAccessToken())
    // The session hint's tag (the BFF's, of this sign-in) goes with the pending sign-out.
    const tag = /^baton_session=([\w-]{12})$/.exec(env.browser.documentCookie())![1]!
    await run(tab.client.logout())
    const key = `${env.browser.channel}:logout`
    // The marker's key: `<channel>:v2:tab:` and the tab's random id (this stub cannot list keys,
    // so no tab reads the marker: it is written all the same, for the tabs that can).
    const presence = expect.stringMatching(
      new RegExp(`^${env.browser.channel}:${TAB_PROTOCOL_VERSION}:tab:[0-9a-f-]{36}$`),
    )
    expect(local.setItem.mock.calls).toEqual([
      [presence, '1'],
      [key, `1:${tag}`],
    ])
    const ours = (name: string) => name === key || name.startsWith(`${env.browser.channel}:`)
    for (const method of [local.getItem, local.removeItem]) {
      expect(method.mock.calls.every(([name]) => ours(name))).toBe(true)
    }
    expect(JSON.stringify(local.setItem.mock.calls)).not.toContain(token)
    const { sessionId } = env.server.events.find((event) => event.type === 'login')!
    expect(JSON.stringify(local.setItem.mock.calls)).not.toContain(sessionId)
    expect(stored.size).toBe(0)
    for (const method of Object.values(session)) expect(method).not.toHaveBeenCalled()
    expect(written).toEqual([])
  })
})
