/**
 * `429 rate_limited` (issue 13, item 1) as the browser meets it: on login, an error to show with
 * `retryAfter`; on refresh, a pause as long as `Retry-After` says, never a sign-out.
 */
import { RateLimitedError, RefreshNetworkError, type SessionStatus } from '@baton/client'
import { describe, expect, it } from 'vitest'
import { advance, drain, run, signedInTabs, useBrowser, waitFor } from './harness'

const env = useBrowser()

describe('429 rate_limited', () => {
  it('on login: a RateLimitedError with the BFF’s message and retryAfter', async () => {
    const tab = env.browser.open()
    await run(tab.client.start())
    env.server.loginRateLimited = true
    const error: unknown = await run(
      tab.client.login({ username: 'alice', password: 'alice-pw' }),
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RateLimitedError)
    expect(error).toMatchObject({
      code: 'rate_limited',
      status: 429,
      message: 'Too many attempts.',
      retryAfter: 42,
    })
    expect(tab.client.store.getState().status).toBe('unauthenticated')
  })

  it('on refresh: nothing is sent before Retry-After, then the refresh goes on; never a sign-out', async () => {
    const [tab] = await signedInTabs(env.browser, 1)
    const statuses: SessionStatus[] = []
    tab!.client.store.subscribe((state) => statuses.push(state.status))
    env.server.refreshRetryAfter = 20
    const before = env.server.refreshCount()
    await waitFor(() => env.server.refreshCount() > before, 'the scheduled refresh')
    const limitedAt = Date.now()
    expect(tab!.client.store.getState().error).toBeInstanceOf(RefreshNetworkError)
    expect(tab!.client.store.getState().error).toMatchObject({ status: 429, retryAfter: 20 })
    expect(tab!.events).toContainEqual({ type: 'retry_scheduled', delay: 20_000 })

    // A wake-up inside the window sends nothing either.
    await advance(5_000)
    tab!.wake()
    await advance(14_999)
    expect(env.server.refreshCount()).toBe(before + 1)

    env.server.refreshRetryAfter = null
    await advance(1)
    expect(env.server.refreshTimes.at(-1)).toBe(limitedAt + 20_000)
    expect(env.server.refreshCount()).toBe(before + 2)
    expect(tab!.client.store.getState()).toMatchObject({ status: 'authenticated', error: null })
    expect(statuses).not.toContain('unauthenticated')
  })

  it('on refresh in one tab: the other tabs send nothing before Retry-After either', async () => {
    // Neither their proactive timer, which fires as the 429 arrives, nor a request that waits.
    const [, b] = await signedInTabs(env.browser, 2)
    env.server.refreshRetryAfter = 20
    const before = env.server.refreshCount()
    await waitFor(() => env.server.refreshCount() > before, 'the proactive refresh')
    const limitedAt = Date.now()
    await drain()
    // The token expires 15 s later; b's app makes a request inside the window.
    await advance(16_000)
    const token = b!.client.getAccessToken()
    await advance(3_999)
    const times = () => env.server.refreshTimes.slice(before).map((t) => t - limitedAt)
    expect(times()).toEqual([0])
    env.server.refreshRetryAfter = null
    await advance(1)
    // Then one refresh for every tab (the lock), and b's request goes with its token.
    expect(times()).toEqual([0, 20_000])
    await expect(run(token)).resolves.toEqual(expect.any(String))
    expect(b!.client.store.getState()).toMatchObject({ status: 'authenticated', error: null })
  })
})
