/**
 * A sign-in as another user (in this tab or another) while a request of the old session waits for
 * a step-up or a retry: the BFF ended that session, so the request rejects with
 * `SessionExpiredError` and is never replayed with the new user's token.
 */
import { SessionExpiredError } from '@baton/client'
import { describe, expect, it } from 'vitest'
import {
  advance,
  drain,
  jwtPart,
  run,
  settled,
  signedInTabs,
  useBrowser,
  type Tab,
} from './harness'

const env = useBrowser()

const sensitive = (tab: Tab) =>
  tab.client.fetch('http://app.test/api/sensitive', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ transfer: 1 }),
  })

/** The tab's transport, holding the answers of `path` until `release()`. */
function holding(path: string) {
  let release = () => {}
  const held = new Promise<void>((resolve) => (release = resolve))
  const transport: typeof fetch = async (input, init) => {
    const response = await env.browser.fetch(input, init)
    const url = input instanceof Request ? input.url : String(input)
    if (url.endsWith(path)) await held
    return response
  }
  return { transport, release: () => release() }
}

/** Bob signs in on `tab` while the held answer is on its way, which then comes back. */
async function bobSignsInMeanwhile(tab: Tab, release: () => void) {
  await drain()
  await run(tab.client.login({ username: 'bob', password: 'bob-pw' }))
  release()
  await drain()
}

const subjects = () => env.server.apiCalls.map((call) => jwtPart(call.token!, 1).sub)

describe('a step-up pending when another user signs in', () => {
  it('in this tab: the waiting request is not retried with the new user’s token', async () => {
    const [tab] = await signedInTabs(env.browser, 1)
    await advance(61_000)
    const request = settled(sensitive(tab!))
    await drain()
    expect(tab!.client.store.getState().stepUp).not.toBeNull()
    await run(tab!.client.login({ username: 'bob', password: 'bob-pw' }))
    await drain()
    expect(subjects()).toEqual(['u-alice'])
    expect(request.error).toBeInstanceOf(SessionExpiredError)
    expect(tab!.client.store.getState().stepUp).toBeNull()
  })

  it('in another tab: the waiting request is not retried with the new user’s token', async () => {
    const [a, b] = await signedInTabs(env.browser, 2)
    await advance(61_000)
    const request = settled(sensitive(a!))
    await drain()
    await run(b!.client.login({ username: 'bob', password: 'bob-pw' }))
    await drain()
    expect(subjects()).toEqual(['u-alice'])
    expect(request.error).toBeInstanceOf(SessionExpiredError)
    expect(a!.client.store.getState()).toMatchObject({ stepUp: null })
  })

  it('on its way: a challenge that comes back after the sign-in is not answered by it', async () => {
    const { transport, release } = holding('/api/sensitive')
    const [tab] = await signedInTabs(env.browser, 1, { fetch: transport })
    await advance(61_000)
    const request = settled(sensitive(tab!))
    await bobSignsInMeanwhile(tab!, release)
    expect(subjects()).toEqual(['u-alice'])
    expect(request.error).toBeInstanceOf(SessionExpiredError)
    expect(tab!.client.store.getState()).toMatchObject({ user: { id: 'u-bob' }, stepUp: null })
  })
})

describe('a 401 that comes back after another user signed in', () => {
  it('is not retried with the new user’s token', async () => {
    const { transport, release } = holding('/api/echo')
    const [tab] = await signedInTabs(env.browser, 1, { fetch: transport })
    const refused = await run(tab!.client.getAccessToken())
    env.server.rejectToken = (token) => token === refused
    const request = settled(
      tab!.client.fetch('http://app.test/api/echo', { method: 'POST', body: '{"transfer":1}' }),
    )
    await bobSignsInMeanwhile(tab!, release)
    expect(subjects()).toEqual(['u-alice'])
    expect(request.error).toBeInstanceOf(SessionExpiredError)
  })
})
