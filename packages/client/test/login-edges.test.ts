/**
 * A cookie route answered `204 No Content` where a grant was due: the call rejects with a typed
 * error (never `undefined`), and the state stays as it was.
 */
import { isBatonError } from '@baton/client'
import { describe, expect, it } from 'vitest'
import { advance, run, signedInTabs, useBrowser } from './harness'

const env = useBrowser()

/** The browser's transport, except that `path` answers `204 No Content`. */
const noContent =
  (path: string): typeof fetch =>
  (input, init) => {
    const url = input instanceof Request ? input.url : String(input)
    return url.endsWith(path)
      ? Promise.resolve(new Response(null, { status: 204 }))
      : env.browser.fetch(input, init)
  }

describe('a cookie route answered 204 (a proxy, a wrong baseUrl)', () => {
  it('login rejects with a typed error and leaves the state alone', async () => {
    const tab = env.browser.open({ fetch: noContent('/auth/login') })
    await run(tab.client.start())
    const error: unknown = await run(
      tab.client.login({ username: 'alice', password: 'alice-pw' }),
    ).catch((e: unknown) => e)
    expect(isBatonError(error)).toBe(true)
    expect(tab.client.store.getState().status).toBe('unauthenticated')
  })

  it('reauthenticate rejects with a typed error', async () => {
    const [tab] = await signedInTabs(env.browser, 1, { fetch: noContent('/auth/reauthenticate') })
    await advance(61_000)
    const error: unknown = await run(
      tab!.client.reauthenticate({ username: 'alice', password: 'alice-pw' }),
    ).catch((e: unknown) => e)
    expect(isBatonError(error)).toBe(true)
    expect(tab!.client.store.getState().status).toBe('authenticated')
  })
})
