/**
 * Races between tabs: a session's end reaching every tab and no later one, a sign-in beside a
 * sign-out, a step-up's grant beside a refresh's when the channel delivers them out of order.
 */
import { TAB_PROTOCOL_VERSION } from '@baton/protocol'
import { describe, expect, it } from 'vitest'
import { drain, holding, run, settled, signedInTabs, useBrowser } from './harness'

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
