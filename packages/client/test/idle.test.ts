/**
 * Keep-alive is not activity (issue 12, M5; ASVS 7.3.1): refreshes tell the BFF whether the user
 * was active (a request, a tab start) since the last one that did; only those extend the idle
 * deadline. An idle tab stops refreshing near the deadline, and one refresh after it confirms the
 * end, in every tab, with `session_expired`.
 */
import { describe, expect, it } from 'vitest'
import { advance, drain, run, signedInTabs, type Tab, useBrowser, waitFor } from './harness'

const env = useBrowser()

const IDLE_MS = 10_000
const status = (tab: Tab) => tab.client.store.getState().status

describe('an idle tab', () => {
  it('stops refreshing near the idle deadline and is signed out just after it, in every tab', async () => {
    env.restart({ idleTimeout: IDLE_MS, accessTokenTtl: '3s' })
    // Both tabs open (signed out) first: the sign-in is the last activity either of them saw.
    const tabs = [
      env.browser.open({}, { document: true }),
      env.browser.open({}, { document: true }),
    ]
    await run(Promise.all(tabs.map((tab) => tab.client.start())))
    await run(tabs[0]!.client.login({ username: 'alice', password: 'alice-pw' }))
    const signedInAt = Date.now()
    const before = env.server.refreshCount()
    await waitFor(() => status(tabs[0]!) === 'unauthenticated', 'the end', 3 * IDLE_MS)
    await drain()
    const refreshes = env.server.refreshTimes.slice(before).map((at) => at - signedInAt)
    for (const tab of tabs) {
      expect(status(tab)).toBe('unauthenticated')
      expect(tab.client.store.getState().error).toMatchObject({ reason: 'session_expired' })
      expect(tab.events.filter((e) => e.type === 'signed_out')).toEqual([
        expect.objectContaining({ reason: 'session_expired' }),
      ])
    }
    // Keep-alive refreshes (3 s tokens, refreshed 1.5 s before expiry) until the last margin
    // before the deadline, none inside it, then exactly one after it (within the second that
    // `idleExpiresIn`, in whole seconds, leaves open), which the BFF refuses.
    expect(refreshes.filter((at) => at > IDLE_MS - 1_500 && at <= IDLE_MS)).toEqual([])
    expect(refreshes.filter((at) => at > IDLE_MS)).toHaveLength(1)
    expect(refreshes.at(-1)).toBeLessThanOrEqual(IDLE_MS + 1_050)
    expect(refreshes.length).toBeGreaterThanOrEqual(4)
    // None of them said the user was active: nobody was.
    expect(env.server.refreshActivity.slice(before)).toEqual(refreshes.map(() => false))
    // And nothing more after the end.
    const count = env.server.refreshCount()
    await advance(IDLE_MS)
    expect(env.server.refreshCount()).toBe(count)
  })

  it('while a tab whose user calls the API stays signed in (another device)', async () => {
    env.restart({ idleTimeout: IDLE_MS, accessTokenTtl: '3s' })
    const [idle] = await signedInTabs(env.browser, 1, {}, { document: true })
    const [busy] = await signedInTabs(env.newBrowser(), 1, {}, { document: true })
    const before = env.server.refreshActivity.length
    for (let second = 0; second < 3 * IDLE_MS; second += 1_000) {
      await run(busy!.api.get('me').json())
      await advance(1_000)
    }
    expect(status(busy!)).toBe('authenticated')
    expect(status(idle!)).toBe('unauthenticated')
    expect(idle!.client.store.getState().error).toMatchObject({ reason: 'session_expired' })
    // The busy tab's refreshes all said so.
    const busyActivity = env.server.refreshActivity.slice(before)
    expect(busyActivity.filter(Boolean).length).toBeGreaterThanOrEqual(10)
  })

  it('a request inside the last margin reaches the BFF as activity before the deadline', async () => {
    env.restart({ idleTimeout: IDLE_MS, accessTokenTtl: '3s' })
    const [tab] = await signedInTabs(env.browser, 1, {}, { document: true })
    const signedInAt = Date.now()
    // Past the last keep-alive: the tab now waits for the deadline.
    await advance(IDLE_MS - 1_000)
    const before = env.server.refreshCount()
    await run(tab!.api.get('me').json())
    expect(env.server.refreshCount()).toBe(before + 1)
    expect(env.server.refreshActivity.at(-1)).toBe(true)
    expect(Date.now() - signedInAt).toBeLessThan(IDLE_MS)
    await advance(IDLE_MS)
    expect(status(tab!)).toBe('authenticated')
  })
})

describe('what counts as activity', () => {
  it('a tab start, and a request waiting for a token, say so; a keep-alive does not', async () => {
    env.restart({ idleTimeout: IDLE_MS, accessTokenTtl: '3s' })
    await signedInTabs(env.browser, 1)
    env.browser.destroy()
    const before = env.server.refreshActivity.length
    const tab = env.browser.open({}, { document: true })
    await run(tab.client.start())
    expect(env.server.refreshActivity.slice(before)).toEqual([true])
    // The next refresh is a keep-alive: nothing happened since the start.
    await waitFor(() => env.server.refreshActivity.length === before + 2, 'a keep-alive', 3_000)
    expect(env.server.refreshActivity.at(-1)).toBe(false)
    // A request (its token still fresh) makes the next keep-alive say so.
    await run(tab.api.get('me').json())
    await waitFor(() => env.server.refreshActivity.length === before + 3, 'a keep-alive', 3_000)
    expect(env.server.refreshActivity.at(-1)).toBe(true)
    // A request that waits for a token says so at once.
    tab.client.invalidateAccessToken()
    await run(tab.api.get('me').json())
    expect(env.server.refreshActivity.slice(before + 3)).toEqual([true])
  })

  it('a 401 from the API and a wake after a request say so; a wake alone does not', async () => {
    env.restart({ idleTimeout: IDLE_MS, accessTokenTtl: '3s' })
    const [tab] = await signedInTabs(env.browser, 1)
    const before = env.server.refreshActivity.length
    const first = await tab!.client.getAccessToken()
    env.server.rejectToken = (token) => token === first
    await run(tab!.api.get('me').json())
    expect(env.server.refreshActivity.slice(before)).toEqual([true])
    env.server.rejectToken = null
    // A wake with a token due: a keep-alive, nobody asked for anything.
    await advance(1_450)
    tab!.client.invalidateAccessToken()
    const woken = env.server.refreshActivity.length
    tab!.wake()
    await drain()
    expect(env.server.refreshActivity.slice(woken)).toEqual([false])
  })
})
