/**
 * The cross-tab behaviour of issue #3, items 1, 2, 6 and 7: several clients in one process stand
 * in for the tabs of one browser (shared cookie jar, channel and lock), against a real BFF.
 */
import { describe, expect, it } from 'vitest'
import { advance, drain, run, signedInTabs, type Tab, useBrowser, waitFor } from './harness'

const env = useBrowser()

const status = (tab: Tab) => tab.client.store.getState().status

describe('one refresh for all tabs (items 1 and 2)', () => {
  it('10 tabs × 20 concurrent requests with an expired token: exactly 1 refresh, 200 successes', async () => {
    const tabs = await signedInTabs(env.browser, 10)
    const refreshesBefore = env.server.refreshCount()
    for (const tab of tabs) tab.client.invalidateAccessToken()

    const results = await run(
      Promise.allSettled(
        tabs.flatMap((tab) =>
          Array.from({ length: 20 }, () => tab.api.get('me').json<{ id: string }>()),
        ),
      ),
    )

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(200)
    expect(env.server.refreshCount() - refreshesBefore).toBe(1)
    expect(env.server.refreshConcurrency.max).toBe(1)
    expect(env.server.events.filter((e) => e.type === 'reuse_detected')).toHaveLength(0)
    // Every request went out with the one new token.
    const tokens = new Set(env.server.apiCalls.map((call) => call.token))
    expect(tokens.size).toBe(1)
  })

  it('a tab that waited for the lock does not refresh again when a peer already did', async () => {
    const [a, b] = await signedInTabs(env.browser, 2)
    env.server.refreshDelayMs = 200
    const before = env.server.refreshCount()
    a!.client.invalidateAccessToken()
    b!.client.invalidateAccessToken()
    const [tokenA, tokenB] = await run(
      Promise.all([a!.client.getAccessToken(), b!.client.getAccessToken()]),
    )
    expect(tokenA).toBe(tokenB)
    expect(env.server.refreshCount() - before).toBe(1)
  })

  it('the proactive refresh happens once for all tabs and every tab adopts its token', async () => {
    env.restart({ accessTokenTtl: '3s' })
    const tabs = await signedInTabs(env.browser, 5)
    const before = env.server.refreshCount()
    const firstExpiry = tabs[0]!.client.store.getState().expiresAt!
    // 3 s tokens refresh 1.5 s before expiry (the margin is capped at half the lifetime).
    await waitFor(() => env.server.refreshCount() > before, 'the proactive refresh', 4_000)
    await waitFor(
      () => tabs.every((tab) => tab.client.store.getState().expiresAt !== firstExpiry),
      'every tab to adopt the new token',
      1_000,
    )
    await advance(300)
    expect(env.server.refreshCount() - before).toBe(1)
    const expiries = new Set(tabs.map((tab) => tab.client.store.getState().expiresAt))
    expect(expiries.size).toBe(1)
    for (const tab of tabs.slice(1)) {
      expect(tab.events.filter((e) => e.type === 'token_from_peer').length).toBeGreaterThanOrEqual(
        1,
      )
    }
  })

  it('a peer refresh slower than the peer deadline: the tab queued behind its lock adopts its grant, no second refresh', async () => {
    const [a, b] = await signedInTabs(env.browser, 2)
    // Within requestTimeout (10 s), past the 3 s a waiting request trusts an announcement.
    env.server.refreshDelayMs = 3_500
    const before = env.server.refreshCount()
    a!.client.invalidateAccessToken()
    const tokenA = a!.client.getAccessToken()
    await waitFor(() => env.server.refreshConcurrency.now === 1, "a's refresh to reach the BFF")
    b!.client.invalidateAccessToken()
    const tokenB = b!.client.getAccessToken()
    expect(await run(tokenB)).toBe(await run(tokenA))
    expect(env.server.refreshCount() - before).toBe(1)
  })

  it('a tab destroyed during its refresh says so: a peer waiting for it refreshes at once', async () => {
    const [a, b] = await signedInTabs(env.browser, 2)
    env.server.refreshDelayMs = 500
    const before = env.server.refreshCount()
    a!.client.invalidateAccessToken()
    void a!.client.getAccessToken().catch(() => {})
    await waitFor(() => env.server.refreshConcurrency.now === 1, "a's refresh to reach the BFF")
    b!.client.invalidateAccessToken()
    const startedAt = Date.now()
    const token = b!.client.getAccessToken()
    await advance(100)
    a!.client.destroy()
    await expect(run(token)).resolves.toEqual(expect.any(String))
    // b's own refresh, started when a went: not the peer deadline (3 s) later.
    expect(Date.now() - startedAt).toBe(600)
    expect(env.server.refreshCount() - before).toBe(2)
    expect(env.server.events.filter((e) => e.type === 'reuse_detected')).toHaveLength(0)
  })

  it('a tab closed during its proactive refresh: the other tab still refreshes before expiry', async () => {
    // The other tab's timer fired while the peer was busy, and no grant came to re-arm it.
    const [a, b] = await signedInTabs(env.browser, 2)
    const expiresAt = b!.client.store.getState().expiresAt!
    env.server.refreshDelayMs = 2_000
    const before = env.server.refreshCount()
    const seen = a!.events.length
    await waitFor(() => env.server.refreshConcurrency.now === 1, 'the first proactive refresh')
    const announcedAt = Date.now()
    // The other tab's timer fires too while the first refresh is at the BFF (jitter < 1 s).
    await advance(1_500)
    const first = a!.events
      .slice(seen)
      .some((e) => e.type === 'refresh_start' && e.source === 'local')
    const [refresher, other] = first ? [a!, b!] : [b!, a!]
    refresher.client.destroy()
    await drain()
    await advance(expiresAt - Date.now())
    // A look once the peer is no longer waited for (3 s after its announcement), and a refresh.
    const times = env.server.refreshTimes.slice(before).map((t) => t - announcedAt)
    expect(times).toEqual([0, 3_000])
    expect(other.client.store.getState()).toMatchObject({
      status: 'authenticated',
      expiresAt: announcedAt + 3_000 + 2_000 + 30_000,
    })
  })
})

describe('sign-in and sign-out reach every tab (item 6)', () => {
  it('logout in one tab makes every tab unauthenticated at once', async () => {
    // Pages read the companion cookie the logout cleared: that is what makes them believe it.
    const tabs = await signedInTabs(env.browser, 4, {}, { document: true })
    await run(tabs[0]!.client.logout())
    const loggedOutAt = Date.now()
    // The messages are delivered; no time passes.
    await drain()
    expect(Date.now()).toBe(loggedOutAt)
    expect(tabs.map(status)).toEqual(Array(4).fill('unauthenticated'))
    // A sign-out the user asked for is no failure: no error for a "session ended" banner, in any
    // tab, only the reason for a friendly notice.
    for (const tab of tabs) {
      expect(tab.client.store.getState()).toMatchObject({ error: null, endReason: 'logged_out' })
    }
    for (const tab of tabs.slice(1)) {
      expect(tab.events.at(-1)).toEqual({
        type: 'signed_out',
        source: 'peer',
        reason: 'logged_out',
      })
      await expect(tab.client.getAccessToken()).rejects.toMatchObject({
        code: 'session_expired',
        reason: 'logged_out',
      })
    }
  })

  it('logout() in a tab never started (a sign-out page calling it first thing) signs every tab out', async () => {
    const [a, b] = await signedInTabs(env.browser, 2, {}, { document: true })
    const page = env.browser.open({}, { document: true })
    const refreshes = env.server.refreshCount()
    await run(page.client.logout())
    await drain()
    expect(env.server.logoutCount()).toBe(1)
    expect([a, b, page].map((tab) => status(tab!))).toEqual(Array(3).fill('unauthenticated'))
    expect(b!.events.at(-1)).toEqual({ type: 'signed_out', source: 'peer', reason: 'logged_out' })
    // Believed from the cleared companion cookie: no tab asked the BFF.
    expect(env.server.refreshCount()).toBe(refreshes)
  })

  it('logout() in a tab never started waits for a refresh another tab is making (one lock)', async () => {
    const [a] = await signedInTabs(env.browser, 1, {}, { document: true })
    const refreshes = env.server.refreshCount()
    env.server.refreshDelayMs = 100
    a!.client.invalidateAccessToken()
    const token = a!.client.getAccessToken()
    await drain()
    const page = env.browser.open({}, { document: true })
    const out = page.client.logout()
    await advance(100)
    await run(out)
    await drain()
    // The refresh landed before the logout went out: the logout ended that rotated session, and
    // no refresh was sent with a cookie the logout had cleared.
    await expect(token).resolves.toEqual(expect.any(String))
    expect(env.server.logoutCount()).toBe(1)
    expect(status(a!)).toBe('unauthenticated')
    expect(env.server.refreshCount() - refreshes).toBe(1)
  })

  it('requests in other tabs wait for a logout in progress, then fail as logged out', async () => {
    // Announced like a refresh, a logout keeps peers from sending a token (or spending the
    // cookie on a refresh) while the session is being ended.
    const [a, b] = await signedInTabs(env.browser, 2, {}, { document: true })
    env.server.logoutDelayMs = 300
    const before = env.server.refreshCount()
    const loggingOut = a!.client.logout()
    await waitFor(() => env.server.logoutCount() === 1, 'the logout to reach the BFF')
    // b's token is still valid: without the announcement it would go out with it at once.
    const [refreshing, calling] = await run(
      Promise.allSettled([b!.client.getAccessToken(), b!.api.get('me')]),
    )
    expect(refreshing).toMatchObject({ status: 'rejected', reason: { reason: 'logged_out' } })
    expect(calling).toMatchObject({ status: 'rejected', reason: { reason: 'logged_out' } })
    await run(loggingOut)
    expect(env.server.refreshCount()).toBe(before)
    expect(env.server.apiCalls).toHaveLength(0)
    expect(b!.events.at(-1)).toEqual({ type: 'signed_out', source: 'peer', reason: 'logged_out' })
  })

  // Before, with a tab opened meanwhile, its `no_session` replaced the sign-out's reason: d ended
  // with a no_session failure.
  it.each([
    ['control: no tab opens meanwhile', false],
    ['a tab opens meanwhile and finds no session', true],
  ])(
    'sessionHintCookie: false, a tab backing off when another signs out, %s: it ends as the sign-out (logged_out, no error)',
    async (_, open) => {
      const [b, d] = await signedInTabs(
        env.browser,
        2,
        { sessionHintCookie: false, retry: { initial: 60_000, max: 60_000 } },
        { document: true },
      )
      // d backs off after a refresh that failed on the network (its retry a minute away).
      env.browser.offline = true
      d!.client.invalidateAccessToken()
      void d!.client.getAccessToken().catch(() => {})
      await waitFor(() => d!.events.some((e) => e.type === 'retry_scheduled'), 'd to back off')
      env.browser.offline = false

      // The user signs out in b; d hears it and waits for its retry to ask the BFF.
      await run(b!.client.logout())
      await drain()
      expect(d!.client.store.getState().status).toBe('authenticated')

      if (open) {
        // A tab opened now: nobody to ask (d has no token to hand over), so it refreshes, finds no
        // session, and tells the other tabs (`ended`, sessionId null, reason no_session).
        const c = env.browser.open({ sessionHintCookie: false }, { document: true })
        await run(c.client.start())
        expect(c.client.store.getState().status).toBe('unauthenticated')
        await drain()
      }

      // d's retry (a wake-up) asks the BFF, which holds no session: the user's sign-out in b.
      d!.wake()
      await waitFor(() => d!.client.store.getState().status === 'unauthenticated', 'd signed out')
      const { endReason, error } = d!.client.store.getState()
      expect({ endReason, error }).toStrictEqual({ endReason: 'logged_out', error: null })
      expect(d!.events.at(-1)).toEqual({ type: 'signed_out', source: 'peer', reason: 'logged_out' })
    },
  )

  // Before, b (unable to read the companion cookie) asked the BFF, got 401 no_session, and ended
  // with that error instead of the sign-out's logged_out.
  it('sessionHintCookie: false: logout in one tab signs the other tab out as logged_out, with no error', async () => {
    const [a, b] = await signedInTabs(
      env.browser,
      2,
      { sessionHintCookie: false },
      { document: true },
    )
    await run(a!.client.logout())
    expect(env.server.logoutCount()).toBe(1)
    await drain()
    await waitFor(() => status(b!) === 'unauthenticated', 'b signed out', 5_000)
    expect(b!.client.store.getState()).toMatchObject({ error: null, endReason: 'logged_out' })
    expect(b!.events.at(-1)).toEqual({ type: 'signed_out', source: 'peer', reason: 'logged_out' })
  })

  // Before, b kept its token usable while it checked the sign-out, and handed it to c's hello.
  it('sessionHintCookie: false: a tab opened just after a logout is not handed the signed-out session by a tab still checking it', async () => {
    const [a, b] = await signedInTabs(
      env.browser,
      2,
      { sessionHintCookie: false },
      { document: true },
    )
    const signedOut = a!.client.store.getState().sessionId
    // b will hear the sign-out and ask the BFF (a slow answer): the session is over meanwhile.
    env.server.refreshDelayMs = 500
    const out = a!.client.logout()
    await waitFor(
      () => env.server.refreshConcurrency.now === 1,
      "b's check to reach the BFF",
      1_000,
    )
    await run(out)
    expect(env.server.refreshConcurrency.now).toBe(1)
    const c = env.browser.open({ sessionHintCookie: false }, { document: true })
    void c.client.start()
    const outcome = await run(
      c.client.fetch('http://app.test/api/me').then(
        (response) => response.status,
        (error: { code?: string }) => error.code,
      ),
    )
    // c must not be signed in with the session the user just ended, nor call the API with it.
    expect({
      handedSignedOutSession: c.client.store.getState().sessionId === signedOut,
      outcome,
      apiCalls: env.server.apiCalls.length,
    }).toEqual({ handedSignedOutSession: false, outcome: 'session_expired', apiCalls: 0 })
    await run(c.client.start())
    await waitFor(() => status(b!) === 'unauthenticated', 'b signed out', 5_000)
  })

  it('login in one tab signs every open tab in without a second login', async () => {
    const tabs = [env.browser.open(), env.browser.open(), env.browser.open()]
    await run(Promise.all(tabs.map((tab) => tab.client.start())))
    expect(tabs.map(status)).toEqual(['unauthenticated', 'unauthenticated', 'unauthenticated'])
    await run(tabs[0]!.client.login({ username: 'alice', password: 'alice-pw' }))
    await drain()
    expect(tabs.map(status)).toEqual(['authenticated', 'authenticated', 'authenticated'])
    expect(env.server.events.filter((e) => e.type === 'login')).toHaveLength(1)
    expect(tabs.map((tab) => tab.client.store.getState().user?.id)).toEqual([
      'u-alice',
      'u-alice',
      'u-alice',
    ])
  })

  it('logout everywhere ends the sessions of other browsers at their next refresh', async () => {
    const [a] = await signedInTabs(env.browser, 1)
    const laptop = env.newBrowser()
    const [other] = await signedInTabs(laptop, 1)
    await run(a!.client.logout({ everywhere: true }))
    other!.client.invalidateAccessToken()
    await expect(run(other!.client.getAccessToken())).rejects.toMatchObject({
      code: 'session_expired',
      reason: 'session_revoked',
    })
    expect(status(other!)).toBe('unauthenticated')
  })
})

describe('a new tab (item 7)', () => {
  it('takes the token from a signed-in peer without calling /auth/refresh', async () => {
    await signedInTabs(env.browser, 2)
    const before = env.server.refreshCount()
    const fresh = env.browser.open()
    await run(fresh.client.start())
    expect(status(fresh)).toBe('authenticated')
    expect(env.server.refreshCount()).toBe(before)
    expect(fresh.events).toContainEqual({ type: 'signed_in', source: 'peer' })
  })

  it('refreshes by itself, at once, when no other tab holds a session', async () => {
    await signedInTabs(env.browser, 1)
    env.browser.destroy()
    const before = env.server.refreshCount()
    const alone = env.browser.open()
    const bootedAt = Date.now()
    await run(alone.client.start())
    expect(status(alone)).toBe('authenticated')
    expect(env.server.refreshCount() - before).toBe(1)
    // The closed tab let go of its lock: nobody to ask, no peerTimeout to wait (boot.test.ts).
    expect(Date.now() - bootedAt).toBe(0)
  })

  it('waits for a refresh a peer is running instead of starting its own', async () => {
    const [a] = await signedInTabs(env.browser, 1)
    env.server.refreshDelayMs = 400
    a!.client.invalidateAccessToken()
    const pending = a!.client.getAccessToken()
    await waitFor(() => env.server.refreshConcurrency.now === 1, 'the refresh to start')
    const before = env.server.refreshCount()
    const fresh = env.browser.open()
    await run(fresh.client.start())
    expect(await run(fresh.client.getAccessToken())).toBe(await run(pending))
    expect(env.server.refreshCount()).toBe(before)
  })

  it('boots unauthenticated with no cookie and no peers, after one refresh (no document)', async () => {
    const tab = env.browser.open()
    await run(tab.client.start())
    expect(tab.client.store.getState()).toMatchObject({ status: 'unauthenticated', user: null })
    expect(tab.client.store.getState().error).toMatchObject({
      code: 'session_expired',
      reason: 'no_session',
    })
    expect(env.server.refreshCount()).toBe(1)
  })
})
