/**
 * `client.sessions`: the user's devices, listed and signed out through the bearer-authenticated
 * routes, with typed errors.
 */
import { BatonError, RefreshNetworkError, SessionExpiredError } from '@baton/client'
import { describe, expect, it } from 'vitest'
import { run, signedInTabs, T0, useBrowser } from './harness'

const env = useBrowser()

describe('client.sessions', () => {
  it('lists the user’s sessions, the current one flagged', async () => {
    const [tab] = await signedInTabs(env.browser, 1)
    const [laptop] = await signedInTabs(env.newBrowser(), 1)
    const sessions = await run(tab!.client.sessions.list())
    expect(sessions).toHaveLength(2)
    const current = sessions.find((session) => session.current)!
    expect(current.id).toBe(tab!.client.store.getState().sessionId)
    expect(sessions.find((s) => !s.current)!.id).toBe(laptop!.client.store.getState().sessionId)
    // A lone tab: signed in without waiting for peers (there are none).
    expect(current).toMatchObject({ createdAt: T0, lastUsedAt: T0 })
  })

  it('revokes another device, which is signed out at its next refresh', async () => {
    const [tab] = await signedInTabs(env.browser, 1)
    const [laptop] = await signedInTabs(env.newBrowser(), 1)
    await run(tab!.client.sessions.revoke(laptop!.client.store.getState().sessionId!))
    expect(await run(tab!.client.sessions.list())).toHaveLength(1)
    laptop!.client.invalidateAccessToken()
    await expect(run(laptop!.client.getAccessToken())).rejects.toMatchObject({
      reason: 'session_revoked',
    })
  })

  it('refuses an unknown session with not_found and the BFF’s message', async () => {
    const [tab] = await signedInTabs(env.browser, 1)
    const error: unknown = await run(tab!.client.sessions.revoke('AAAAAAAAAAAAAAAAAAAAAA')).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(BatonError)
    expect(error).toMatchObject({
      code: 'not_found',
      status: 404,
      serverCode: 'not_found',
      message: 'No such session of yours.',
    })
  })

  it('refreshes a refused token once, like every request through client.fetch', async () => {
    const [tab] = await signedInTabs(env.browser, 1)
    tab!.client.invalidateAccessToken()
    const before = env.server.refreshCount()
    expect(await run(tab!.client.sessions.list())).toHaveLength(1)
    expect(env.server.refreshCount() - before).toBe(1)
  })

  it('rejects with SessionExpiredError when signed out', async () => {
    const tab = env.browser.open()
    await run(tab.client.start())
    await expect(run(tab.client.sessions.list())).rejects.toBeInstanceOf(SessionExpiredError)
  })

  it('rejects with RefreshNetworkError when the BFF cannot be reached', async () => {
    const down: typeof fetch = (input, init) =>
      new Request(input, init).url.includes('/auth/sessions')
        ? Promise.reject(new TypeError('fetch failed'))
        : env.browser.fetch(input, init)
    const [tab] = await signedInTabs(env.browser, 1, { fetch: down })
    const error: unknown = await run(tab!.client.sessions.list()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RefreshNetworkError)
    expect((error as RefreshNetworkError).cause).toEqual(new TypeError('fetch failed'))
  })

  it('gives up on a BFF that does not answer after requestTimeout', async () => {
    const hung: typeof fetch = (input, init) => {
      const request = new Request(input, init)
      if (!request.url.includes('/auth/sessions')) return env.browser.fetch(input, init)
      return new Promise((_, reject) =>
        request.signal.addEventListener('abort', () => reject(request.signal.reason as Error)),
      )
    }
    const [tab] = await signedInTabs(env.browser, 1, { fetch: hung, requestTimeout: 2_000 })
    const startedAt = Date.now()
    const error: unknown = await run(tab!.client.sessions.list()).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'network_unavailable' })
    expect(Date.now() - startedAt).toBe(2_000)
  })
})
