/**
 * The companion cookie (issue #11, item 9): a page without it starts signed out without a request,
 * so an anonymous visit logs no 401; a stale one costs one refresh answering 401, as before.
 */
import { createSessionClient } from '@baton/client'
import { describe, expect, it } from 'vitest'
import { advance, drain, run, signedInTabs, useBrowser, waitFor } from './harness'

const env = useBrowser()

describe('the companion cookie', () => {
  it('is set with the refresh cookie, readable by scripts, and cleared with it', async () => {
    const [tab] = await signedInTabs(env.browser, 1)
    // Its value: the BFF's tag of this sign-in (nothing secret, not the session id).
    expect(env.browser.documentCookie()).toMatch(/^baton_session=[\w-]{12}$/)
    expect(env.browser.documentCookie()).not.toContain(tab!.client.store.getState().sessionId!)
    await run(tab!.client.logout())
    expect(env.browser.documentCookie()).toBe('')
    expect([...env.browser.cookies.keys()]).toEqual([])
  })

  it('absent: an anonymous visit is unauthenticated at once, with no request and no error', async () => {
    const tab = env.browser.open({}, { document: true })
    const startedAt = Date.now()
    const started = tab.client.start()
    await drain()
    await started
    expect(tab.client.store.getState()).toEqual({
      status: 'unauthenticated',
      user: null,
      sessionId: null,
      expiresAt: null,
      tokenLifetime: null,
      error: null,
      endReason: null,
      stepUp: null,
    })
    expect(env.server.refreshCount()).toBe(0)
    // No peer was asked either: no time passed.
    expect(Date.now()).toBe(startedAt)
    expect(tab.events).toEqual([])
    await expect(tab.client.getAccessToken()).rejects.toMatchObject({
      code: 'session_expired',
      reason: 'no_session',
    })
  })

  it('absent: the status comes before any storage call, and a stale pending sign-out is forgotten after it', async () => {
    // Left by a sign-out the BFF never confirmed, in a browser whose cookies have since expired.
    const marker = `${env.browser.channel}:logout`
    env.browser.storage.set(marker, '1')
    const tab = env.browser.open({}, { document: true })
    const markerWhenKnown: Array<string | undefined> = []
    tab.client.store.subscribe((state) => {
      if (state.status === 'unauthenticated') markerWhenKnown.push(env.browser.storage.get(marker))
    })
    const startedAt = Date.now()
    await run(tab.client.start())
    expect(markerWhenKnown).toEqual(['1'])
    await waitFor(() => !env.browser.storage.has(marker), 'the stale sign-out to be forgotten')
    // In the next task: no time passed.
    expect(Date.now()).toBe(startedAt)
    expect([...env.browser.storage.keys()]).toEqual([])
    expect(env.server.refreshCount()).toBe(0)
  })

  it('absent: signing in later, here or in another tab, still works', async () => {
    const tabs = [
      env.browser.open({}, { document: true }),
      env.browser.open({}, { document: true }),
    ]
    await run(Promise.all(tabs.map((tab) => tab.client.start())))
    await advance(1) // the page's next task: each tab has opened its channel
    await run(tabs[0]!.client.login({ username: 'alice', password: 'alice-pw' }))
    await drain()
    expect(tabs.map((tab) => tab.client.store.getState().status)).toEqual([
      'authenticated',
      'authenticated',
    ])
    expect(env.server.refreshCount()).toBe(0)
  })

  it('absent: a sign-in in another tab before this one opened its channel (the task after its status) is taken up then, from the peer', async () => {
    const [anonymous, other] = [
      env.browser.open({}, { document: true }),
      env.browser.open({}, { document: true }),
    ]
    await run(anonymous.client.start())
    expect(anonymous.client.store.getState().status).toBe('unauthenticated')
    // The other tab signs in before this one's next task: its message finds no channel here.
    await run(other.client.login({ username: 'alice', password: 'alice-pw' }))
    expect(anonymous.client.store.getState().status).toBe('unauthenticated')
    await advance(1)
    expect(anonymous.client.store.getState()).toMatchObject({
      status: 'authenticated',
      user: { id: 'u-alice' },
      sessionId: other.client.store.getState().sessionId,
    })
    expect(env.server.refreshCount()).toBe(0)
    expect(anonymous.events).toContainEqual({
      type: 'token_from_peer',
      expiresAt: expect.any(Number),
    })
  })

  it('absent: a sign-in in another tab that is gone by this one’s next task: loading again, then one refresh', async () => {
    const [anonymous, other] = [
      env.browser.open({}, { document: true }),
      env.browser.open({}, { document: true }),
    ]
    await run(anonymous.client.start())
    await run(other.client.login({ username: 'alice', password: 'alice-pw' }))
    other.client.destroy() // closed: nobody is left to hand this tab the session
    const statuses: string[] = []
    anonymous.client.store.subscribe(({ status }) => statuses.push(status))
    await advance(1)
    await waitFor(() => anonymous.client.store.getState().status === 'authenticated', 'the refresh')
    expect(statuses).toEqual(['loading', 'authenticated'])
    expect(env.server.refreshCount()).toBe(1)
  })

  it('absent: a login() before the next task signs in, with one channel and no refresh', async () => {
    const tab = env.browser.open({}, { document: true })
    await run(tab.client.start())
    await run(tab.client.login({ username: 'alice', password: 'alice-pw' }))
    expect(tab.client.store.getState()).toMatchObject({
      status: 'authenticated',
      user: { id: 'u-alice' },
    })
    await advance(1)
    expect(tab.client.store.getState().status).toBe('authenticated')
    expect(env.server.refreshCount()).toBe(0)
  })

  it('present: a reload refreshes with the cookie and is signed in', async () => {
    await signedInTabs(env.browser, 1)
    env.browser.destroy() // the tab reloads: no peer left
    const reloaded = env.browser.open({}, { document: true })
    await run(reloaded.client.start())
    expect(reloaded.client.store.getState().status).toBe('authenticated')
    expect(env.server.refreshCount()).toBe(2) // the first tab's boot, then this one
  })

  it('present but stale: one refresh answers 401, and the BFF clears it', async () => {
    env.browser.cookies.set('baton_session', {
      value: '1',
      path: '/',
      httpOnly: false,
      expiresAt: null,
    })
    const tab = env.browser.open({}, { document: true })
    await run(tab.client.start())
    expect(env.server.refreshCount()).toBe(1)
    expect(tab.client.store.getState()).toMatchObject({
      status: 'unauthenticated',
      error: { code: 'session_expired', reason: 'no_session', status: 401 },
    })
    expect(env.browser.documentCookie()).toBe('')
  })

  it('after a logout, the next page load makes no request', async () => {
    const [tab] = await signedInTabs(env.browser, 1)
    await run(tab!.client.logout())
    env.browser.destroy()
    const before = env.server.refreshCount()
    const next = env.browser.open({}, { document: true })
    await run(next.client.start())
    expect(next.client.store.getState()).toMatchObject({ status: 'unauthenticated', error: null })
    expect(env.server.refreshCount()).toBe(before)
  })

  it('sessionHintCookie: false always asks, as where there is no document', async () => {
    const tab = env.browser.open({ sessionHintCookie: false }, { document: true })
    await run(tab.client.start())
    expect(env.server.refreshCount()).toBe(1)
  })

  it('follows a renamed cookie, which the client must be told as well', async () => {
    env.restart({ sessionHintCookie: 'app_signed_in' })
    await signedInTabs(env.browser, 1, { sessionHintCookie: 'app_signed_in' })
    env.browser.destroy()
    const reloaded = env.browser.open({ sessionHintCookie: 'app_signed_in' }, { document: true })
    await run(reloaded.client.start())
    expect(reloaded.client.store.getState().status).toBe('authenticated')
    // A client looking for the default name sees no session, and does not ask.
    const unaware = env.browser.open({}, { document: true })
    await run(unaware.client.start())
    expect(unaware.client.store.getState()).toMatchObject({
      status: 'unauthenticated',
      error: null,
    })
  })
})

describe('an anonymous start, before the session machinery', () => {
  // A client whose browser calls are counted: it must make none for its status.
  const anonymousClient = () => {
    const opened: string[] = []
    const locks: string[] = []
    const client = createSessionClient({
      fetch: () => Promise.reject(new Error('no request expected')),
      logger: { debug() {} },
      adapters: {
        channel: (name) => (opened.push(name), null),
        lock: (name, _timeout, fn) => (locks.push(name), fn()),
        cookies: () => '',
        storage: null,
        wake: () => () => {},
      },
    })
    return { client, opened, locks }
  }

  it('has its status when start() returns; its channel opens in the next task, once however often it starts', async () => {
    const { client, opened } = anonymousClient()
    const started = client.start()
    expect(client.store.getState().status).toBe('unauthenticated')
    await started
    void client.start() // React's StrictMode starts it twice
    expect(opened).toEqual([])
    await advance(1)
    expect(opened).toHaveLength(1)
    await client.start()
    await advance(1)
    expect(opened).toHaveLength(1)
    client.destroy()
  })

  it('a call of the app before that task opens it at once, and is answered as signed out', async () => {
    const { client, opened, locks } = anonymousClient()
    await client.start()
    await expect(client.getAccessToken()).rejects.toMatchObject({
      code: 'session_expired',
      reason: 'no_session',
    })
    expect(opened).toHaveLength(1)
    expect(locks).toEqual([])
    client.destroy()
  })

  it('destroyed before that task: no channel ever, and start() rejects as a destroyed client does', async () => {
    const { client, opened, locks } = anonymousClient()
    await client.start()
    client.destroy()
    await advance(1)
    expect(opened).toEqual([])
    expect(locks).toEqual([])
    await expect(client.start()).rejects.toMatchObject({ code: 'client_destroyed' })
    await expect(client.getAccessToken()).rejects.toMatchObject({ code: 'client_destroyed' })
  })
})
