/**
 * `getAccessToken({ signal })` with an already-aborted signal rejects with its reason, as
 * `baton.fetch` with that signal does (and as `fetch` does), even when a token is at hand; it
 * used to hand the token out (only a queued call checked the signal).
 */
import { describe, expect, it } from 'vitest'
import { ORIGIN, drain, run, settled, signedInTabs, useBrowser } from './harness'

const env = useBrowser()

describe('getAccessToken({ signal }) with a signal aborted before the call', () => {
  it('rejects with the abort reason, as fetch() with the same signal does', async () => {
    const [tab] = await signedInTabs(env.browser, 1)
    const reason = new Error('gone')
    const controller = new AbortController()
    controller.abort(reason)
    // fetch: rejected with the reason.
    await expect(
      run(tab!.client.fetch(`${ORIGIN}/api/me`, { signal: controller.signal })),
    ).rejects.toBe(reason)
    // getAccessToken: the same, though this tab holds a usable token.
    const token = settled(tab!.client.getAccessToken({ signal: controller.signal }))
    await drain()
    expect(token).toEqual({ done: true, error: reason })
  })
})
