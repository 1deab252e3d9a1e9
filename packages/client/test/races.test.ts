/**
 * Races between tabs: a session's end reaching every tab and no later one, a sign-in beside a
 * sign-out, a step-up's grant beside a refresh's when the channel delivers them out of order.
 */
import type { SessionStore } from '@baton/bff'
import { TAB_PROTOCOL_VERSION } from '@baton/protocol'
import { describe, expect, it } from 'vitest'
import { drain, holding, ORIGIN, run, settled, signedInTabs, useBrowser } from './harness'

const env = useBrowser()

describe('a refresh that finds the session over', () => {
  it('ends it in every tab without a refresh of theirs, and a late word of it ends no newer session', async () => {
    const [a, b, c] = await signedInTabs(env.browser, 3, {}, { document: true })
    const old = a!.client.store.getState().sessionId!
    await env.server.store.revoke(old, 'revoked', Date.now())
    const intruder = env.browser.bus.open(`${env.browser.channel}:${TAB_PROTOCOL_VERSION}`)
    const heard: unknown[] = []
    intruder.subscribe((message) => heard.push(message))
    const before = env.server.refreshCount()
    a!.client.invalidateAccessToken()
    await expect(run(a!.client.getAccessToken())).rejects.toMatchObject({
      reason: 'session_revoked',
    })
    await drain()
    const ended = { type: 'ended', sessionId: old, reason: 'session_revoked' }
    expect(heard).toContainEqual(ended)
    for (const tab of [a!, b!, c!])
      expect(tab.client.store.getState()).toMatchObject({
        status: 'unauthenticated',
        error: { reason: 'session_revoked' },
      })
    expect(env.server.refreshCount() - before).toBe(1)
    // Another user signs in; the old session's end, heard again (late, or replayed), ends nothing.
    await run(b!.client.login({ username: 'bob', password: 'bob-pw' }))
    await drain()
    intruder.post(ended)
    await drain()
    for (const tab of [a!, b!, c!])
      expect(tab.client.store.getState()).toMatchObject({
        status: 'authenticated',
        user: { id: 'u-bob' },
      })
    expect(env.server.refreshCount() - before).toBe(1)
  })
})

describe('a sign-in in one tab while another signs out', () => {
  it('the sign-in finishing first does not erase a sign-out the BFF has not confirmed', async () => {
    const [a] = await signedInTabs(env.browser, 1, {}, { document: true })
    const held = holding(env.browser, '/auth/login')
    const b = env.browser.open({ fetch: held.transport }, { document: true })
    await run(b.client.start())
    // b's sign-in holds the lock; a's sign-out, asked for meanwhile, waits for it and then cannot
    // reach the BFF.
    const signingIn = b.client.login({ username: 'bob', password: 'bob-pw' })
    const login = settled(signingIn)
    await drain()
    env.browser.logoutOffline = true
    const signingOut = a!.client.logout()
    const logout = settled(signingOut)
    await drain()
    held.release()
    await run(Promise.allSettled([signingIn, signingOut]))
    await drain()
    expect(login.value).toMatchObject({ id: 'u-bob' })
    expect(logout.error).toMatchObject({ code: 'network_unavailable' })
    // The sign-out is still owed, for the session it tried to end: no tab goes on with it.
    expect([...env.browser.storage.keys()]).toContain(`${env.browser.channel}:logout`)
    expect(b.client.store.getState().status).toBe('unauthenticated')
    env.browser.logoutOffline = false
    const logouts = env.server.logoutCount()
    const next = env.browser.open({}, { document: true })
    await run(next.client.start())
    expect(next.client.store.getState().status).toBe('unauthenticated')
    expect(env.server.logoutCount()).toBe(logouts + 1)
  })
})

const MARKER = () => `${env.browser.channel}:logout`
const PRESENCE = () => `${env.browser.channel}:${TAB_PROTOCOL_VERSION}:tab:`
const withoutPresence = () =>
  [...env.browser.storage].filter(([key]) => !key.startsWith(PRESENCE()))
const hint = () => /baton_session=([\w-]+)/.exec(env.browser.documentCookie())?.[1]

/** What the BFF's OpenID callback ends with: a new session in this browser's cookie jar. */
async function signInBehindTheClient() {
  const res = await env.browser.fetch(`${ORIGIN}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf': '1' },
    body: JSON.stringify({ username: 'alice', password: 'alice-pw' }),
  })
  expect(res.status).toBe(200)
}

describe('an unconfirmed sign-out, then a sign-in the client did not make', () => {
  it('a 503 logout (the BFF clears the hint all the same) leaves a marker that does not end the next OpenID sign-in', async () => {
    const [tab] = await signedInTabs(env.browser, 1, {}, { document: true })
    const first = hint()
    expect(first).toBeDefined()
    // The store is down while the logout is answered: the BFF clears both cookies and answers 503
    // (logout-always-clears.test.ts), so the client treats it as unconfirmed.
    const store = env.server.store as SessionStore & { get: SessionStore['get'] }
    const get = store.get.bind(store)
    store.get = () => Promise.reject(new Error('ECONNREFUSED'))
    const error = await run(tab!.client.logout()).catch((e: unknown) => e)
    store.get = get
    expect(error).toMatchObject({ code: 'network_unavailable' })
    expect(hint()).toBeUndefined()
    // The marker must still name the sign-in it was for (or be gone): an untagged one is sent
    // again whatever sign-in the browser holds next.
    const marker = env.browser.storage.get(MARKER())
    expect(marker === undefined || marker === `1:${first}`).toBe(true)

    // The user signs in again through the provider (a redirect: no client.login() to clear it).
    env.browser.destroy()
    await signInBehindTheClient()
    const logouts = env.server.logoutCount()
    const next = env.browser.open({}, { document: true })
    await run(next.client.start())
    await drain()
    expect(next.client.store.getState().status).toBe('authenticated')
    expect(env.server.logoutCount()).toBe(logouts)
    expect(withoutPresence()).toEqual([])
  })

  it('a logout that fails after an OpenID callback replaced the session does not tag the marker with the new sign-in', async () => {
    // The logout leaves; while it is on its way the provider's callback (a navigation in another
    // tab, never under the lock) signs the browser in anew; then the logout fails on the network.
    let fail!: () => void
    const failing = new Promise<void>((resolve) => (fail = resolve))
    const transport: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input)
      if (url.endsWith('/auth/logout')) {
        await failing
        throw new TypeError('fetch failed')
      }
      return env.browser.fetch(input, init)
    }
    const [tab] = await signedInTabs(env.browser, 1, { fetch: transport }, { document: true })
    const first = hint()
    const signingOut = run(tab!.client.logout()).catch((e: unknown) => e)
    await drain()
    await signInBehindTheClient()
    const second = hint()
    expect(second).not.toBe(first)
    fail()
    expect(await signingOut).toMatchObject({ code: 'network_unavailable' })
    // The call presented the first sign-in's cookie; the second sign-in is none of its business.
    expect(env.browser.storage.get(MARKER())).not.toBe(`1:${second}`)

    const logouts = env.server.logoutCount()
    env.browser.destroy()
    const next = env.browser.open({}, { document: true })
    await run(next.client.start())
    await drain()
    expect(next.client.store.getState().status).toBe('authenticated')
    expect(env.server.logoutCount()).toBe(logouts)
  })
})
