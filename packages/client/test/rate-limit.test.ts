/**
 * `429 rate_limited` (issue 13, item 1) as the browser meets it: on login, an error to show with
 * `retryAfter`; on refresh, a pause as long as `Retry-After` says, never a sign-out.
 */
import { RateLimitedError, RefreshNetworkError, type SessionStatus } from '@baton/client'
import { describe, expect, it } from 'vitest'
import { advance, run, signedInTabs, useBrowser, waitFor } from './harness'

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
})
