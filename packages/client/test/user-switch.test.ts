/**
 * A sign-in as another user (in this tab or another) while a request of the old session waits for
 * a token, a step-up or a retry: the BFF ended that session, so the request rejects with
 * `SessionExpiredError` (`session_revoked`) and is never sent, nor replayed, with the new user's
 * token.
 */
import { SessionExpiredError } from '@baton/client'
import { describe, expect, it } from 'vitest'
import {
  advance,
  drain,
  holding,
  jwtPart,
  ORIGIN,
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

/** Bob signs in on `tab` while the held answer is on its way, which then comes back. */
async function bobSignsInMeanwhile(tab: Tab, release: () => void) {
  await drain()
  await run(tab.client.login({ username: 'bob', password: 'bob-pw' }))
  release()
  await drain()
}

/** Resolves once `tab` has switched to the user `id` (heard of a sign-in, checked, adopted). */
const switchedTo = (tab: Tab, id: string) =>
  new Promise<void>((resolve) => {
    const stop = tab.client.store.subscribe((state) => {
      if (state.user?.id !== id) return
      stop()
      resolve()
    })
  })

const subjects = () => env.server.apiCalls.map((call) => jwtPart(call.token!, 1).sub)

describe('getAccessToken() waiting when another user signs in', () => {
  // Before, it resolved with bob's token: a caller that sends it itself made alice's action bob's.
  it('rejects with session_revoked, never with the new user’s token', async () => {
    const [a, b] = await signedInTabs(env.browser, 2)
    env.browser.offline = true
    a!.client.invalidateAccessToken()
    const token = settled(a!.client.getAccessToken())
    await drain()
    expect(token.done).toBe(false)
    env.browser.offline = false
    await run(b!.client.login({ username: 'bob', password: 'bob-pw' }))
    await run(switchedTo(a!, 'u-bob'))
    await drain()
    expect(token.error).toBeInstanceOf(SessionExpiredError)
    expect(token.error).toMatchObject({ reason: 'session_revoked' })
    // Asked for after the sign-in, it is bob's.
    expect(jwtPart(await run(a!.client.getAccessToken()), 1).sub).toBe('u-bob')
  })
})

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
    const { transport, release } = holding(env.browser, '/api/sensitive')
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
    const { transport, release } = holding(env.browser, '/api/echo')
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

describe('a request waiting for a token when another user signs in', () => {
  const transfer = (tab: Tab) =>
    tab.client.fetch(`${ORIGIN}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ transfer: 1 }),
    })

  it('in this tab: it is rejected with session_revoked, never sent with the new user’s token', async () => {
    const [tab] = await signedInTabs(env.browser, 1)
    // Alice's token is gone and the refresh fails for now: her request waits for a token.
    env.browser.offline = true
    tab!.client.invalidateAccessToken()
    const request = settled(transfer(tab!))
    await drain()
    expect(tab!.client.store.getState().user).toMatchObject({ id: 'u-alice' })
    expect(request.done).toBe(false)
    await run(tab!.client.login({ username: 'bob', password: 'bob-pw' }))
    await drain()
    expect(subjects()).toEqual([])
    expect(request.error).toBeInstanceOf(SessionExpiredError)
    expect(request.error).toMatchObject({ reason: 'session_revoked' })
  })

  it('in another tab: it is rejected with session_revoked, never sent with the new user’s token', async () => {
    const [a, b] = await signedInTabs(env.browser, 2)
    env.browser.offline = true
    a!.client.invalidateAccessToken()
    const request = settled(transfer(a!))
    await drain()
    expect(request.done).toBe(false)
    env.browser.offline = false
    await run(b!.client.login({ username: 'bob', password: 'bob-pw' }))
    // Tab a hears of bob's sign-in, checks it with the BFF, and switches to bob.
    await run(switchedTo(a!, 'u-bob'))
    await drain()
    expect(subjects()).toEqual([])
    expect(request.error).toBeInstanceOf(SessionExpiredError)
    expect(request.error).toMatchObject({ reason: 'session_revoked' })
  })

  it('made before the tab knew of any session: it goes out as the user the start finds', async () => {
    await signedInTabs(env.browser, 1)
    const tab = env.browser.open()
    // The first request starts the tab, which gets alice's token from the other tab.
    const response = await run(transfer(tab))
    expect(response.status).toBe(200)
    expect(subjects()).toEqual(['u-alice'])
  })
})
