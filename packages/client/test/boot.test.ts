/**
 * A tab's start at the physical limit (issue 18): a lone tab refreshes at once, tabs that start
 * together still make one refresh, a tab beside a signed-in one makes none and waits for nothing
 * but the channel, and a browser that cannot tell whether another tab holds a session falls back
 * to asking and waiting `peerTimeout`. Fake time only moves when a test moves it, so "at once"
 * is exact: no fake millisecond passes.
 */
import type { LockAdapter } from '@baton/client'
import { TAB_PROTOCOL_VERSION } from '@baton/protocol'
import { describe, expect, it, vi } from 'vitest'
import { createTabPresence } from '../src/tab-presence.js'
import { advance, drain, run, signedInTabs, type Tab, useBrowser } from './harness'

const env = useBrowser()

const status = (tab: Tab) => tab.client.store.getState().status
/** The lock every tab with a session holds (`tab-presence.ts`). */
const presenceLock = () => `${env.browser.channel}:${TAB_PROTOCOL_VERSION}:session`
const holders = () => env.browser.locks.held.get(presenceLock()) ?? 0

/** Every message posted on the tabs' channel from now on, in order. */
function listen(): Array<{ type: string }> {
  const heard: Array<{ type: string }> = []
  env.browser.bus
    .open(`${env.browser.channel}:${TAB_PROTOCOL_VERSION}`)
    .subscribe((message) => heard.push(message as { type: string }))
  return heard
}

/** A browser that has a session but no open tab: every tab was closed (or the page reloads). */
async function closedSession() {
  await signedInTabs(env.browser, 1, {}, { document: true })
  env.browser.destroy()
  expect(holders()).toBe(0)
}

describe('a lone tab', () => {
  it('sends its refresh at once (t = 0, not t = peerTimeout), waiting for no answer, and is signed in', async () => {
    await closedSession()
    const before = env.server.refreshCount()
    const heard = listen()
    const tab = env.browser.open({}, { document: true })
    const startedAt = Date.now()
    const started = tab.client.start()
    await drain()
    // The refresh went out and came back without a fake millisecond passing.
    expect(env.server.refreshCount() - before).toBe(1)
    expect(status(tab)).toBe('authenticated')
    expect(Date.now()).toBe(startedAt)
    await started
    // The question goes out with the lock read, in case a peer answers first; nobody does.
    expect(heard.map((m) => m.type)).toEqual(['hello', 'refreshing', 'grant'])
    expect(tab.events).toEqual([
      { type: 'refresh_start', source: 'local', trigger: 'start' },
      { type: 'signed_in', source: 'local' },
      { type: 'refresh_end', source: 'local', ok: true },
    ])
  })

  it('holds the lock while it has a session, and lets go at sign-out and at destroy', async () => {
    const [tab] = await signedInTabs(env.browser, 1, {}, { document: true })
    expect(holders()).toBe(1)
    await run(tab!.client.logout())
    expect(holders()).toBe(0)
    await run(tab!.client.login({ username: 'alice', password: 'alice-pw' }))
    expect(holders()).toBe(1)
    tab!.client.destroy()
    expect(holders()).toBe(0)
  })

  it('holds it once, however often it is started (StrictMode), and not after a hot reload', async () => {
    await closedSession()
    const old = env.browser.open({}, { document: true })
    await run(Promise.all([old.client.start(), old.client.start(), old.client.start()]))
    expect(holders()).toBe(1)
    // HMR: the module's old client is destroyed, a new one starts and takes the token from
    // nobody (the old one let go first), so it refreshes at once.
    old.client.destroy()
    const before = env.server.refreshCount()
    const fresh = env.browser.open({}, { document: true })
    const startedAt = Date.now()
    await run(fresh.client.start())
    expect(env.server.refreshCount() - before).toBe(1)
    expect(Date.now()).toBe(startedAt)
    expect(holders()).toBe(1)
  })

  it('a tab without a channel never holds it (it could not answer)', async () => {
    const tab = env.browser.open({ adapters: { channel: () => null } }, { document: true })
    await run(tab.client.start())
    await run(tab.client.login({ username: 'alice', password: 'alice-pw' }))
    expect(status(tab)).toBe('authenticated')
    expect(holders()).toBe(0)
  })
})

describe('requests once a tab has its token', () => {
  it('go out at the grant, not once the lock is released (a page rendered for the new status calls at once)', async () => {
    await closedSession()
    // A lock whose release takes 100 ms to come back, as a call to the browser may.
    const base = env.browser.locks.adapter(true)
    const lock: LockAdapter = async (name, timeoutMs, fn) => {
      const result = await base(name, timeoutMs, fn)
      await new Promise((resolve) => setTimeout(resolve, 100))
      return result
    }
    lock.hold = base.hold!
    lock.query = base.query!
    const tab = env.browser.open({ adapters: { lock } }, { document: true })
    const calls: Array<Promise<unknown>> = []
    // What a page does when it renders for `authenticated`: it calls its API.
    tab.client.store.subscribe((state) => {
      if (state.status === 'authenticated' && calls.length === 0)
        calls.push(tab.api.get('me').json())
    })
    const startedAt = Date.now()
    void tab.client.start()
    await drain()
    expect(env.server.apiCalls).toHaveLength(1)
    expect(Date.now()).toBe(startedAt)
    await expect(run(calls[0]!)).resolves.toMatchObject({ id: 'u-alice' })
  })
})

describe('tabs that start together', () => {
  it.each([2, 5])(
    '%i tabs make one refresh between them, at once, and share its token',
    async (n) => {
      await closedSession()
      const before = env.server.refreshCount()
      const tabs = Array.from({ length: n }, () => env.browser.open({}, { document: true }))
      const startedAt = Date.now()
      await run(Promise.all(tabs.map((tab) => tab.client.start())))
      expect(env.server.refreshCount() - before).toBe(1)
      expect(env.server.refreshConcurrency.max).toBe(1)
      expect(tabs.map(status)).toEqual(Array(n).fill('authenticated'))
      const tokens = await run(Promise.all(tabs.map((tab) => tab.client.getAccessToken())))
      expect(new Set(tokens).size).toBe(1)
      expect(Date.now()).toBe(startedAt)
      expect(env.server.events.filter((e) => e.type === 'reuse_detected')).toHaveLength(0)
    },
  )
})

describe('a tab beside signed-in tabs', () => {
  it.each([1, 4])(
    'beside %i: no refresh, the token from a peer, no fake time passing',
    async (n) => {
      await signedInTabs(env.browser, n, {}, { document: true })
      const before = env.server.refreshCount()
      const heard = listen()
      const tab = env.browser.open({}, { document: true })
      const startedAt = Date.now()
      const started = tab.client.start()
      await drain()
      expect(status(tab)).toBe('authenticated')
      expect(Date.now()).toBe(startedAt)
      await started
      expect(env.server.refreshCount()).toBe(before)
      expect(tab.events).toContainEqual({ type: 'signed_in', source: 'peer' })
      expect(heard[0]).toEqual({ type: 'hello' })
      expect(holders()).toBe(n + 1)
    },
  )

  it('beside a tab that is refreshing: no refresh of its own, the peer’s grant', async () => {
    const [a] = await signedInTabs(env.browser, 1, {}, { document: true })
    env.server.refreshDelayMs = 400
    a!.client.invalidateAccessToken()
    const pending = a!.client.getAccessToken()
    await drain()
    const before = env.server.refreshCount()
    const tab = env.browser.open({}, { document: true })
    await run(tab.client.start())
    expect(await run(tab.client.getAccessToken())).toBe(await run(pending))
    expect(env.server.refreshCount()).toBe(before)
  })

  it('beside one that holds the lock but never answers (frozen): asks, then refreshes after peerTimeout', async () => {
    await closedSession()
    const frozen = env.browser.locks.adapter(true).hold!(presenceLock())
    const before = env.server.refreshCount()
    const tab = env.browser.open({}, { document: true })
    const started = tab.client.start()
    await advance(249)
    expect(env.server.refreshCount()).toBe(before)
    await advance(1)
    expect(env.server.refreshCount() - before).toBe(1)
    await run(started)
    expect(status(tab)).toBe('authenticated')
    frozen()
  })
})

describe('a browser that cannot tell whether another tab holds a session', () => {
  it('a lock adapter without query: asks the other tabs and refreshes after peerTimeout, as before', async () => {
    await closedSession()
    const before = env.server.refreshCount()
    const heard = listen()
    const tab = env.browser.open({}, { document: true, lockQuery: false })
    const started = tab.client.start()
    await advance(249)
    expect(env.server.refreshCount()).toBe(before)
    expect(heard).toEqual([{ type: 'hello' }])
    await advance(1)
    expect(env.server.refreshCount() - before).toBe(1)
    await run(started)
    expect(status(tab)).toBe('authenticated')
    expect(env.browser.locks.queries).toBe(0)
  })

  it('a lock adapter without query still gets the token from a signed-in peer, without a refresh', async () => {
    await signedInTabs(env.browser, 1, {}, { document: true })
    const before = env.server.refreshCount()
    const tab = env.browser.open({}, { document: true, lockQuery: false })
    await run(tab.client.start())
    expect(status(tab)).toBe('authenticated')
    expect(env.server.refreshCount()).toBe(before)
  })

  describe('Web Locks', () => {
    /** A one-tab `navigator.locks`: grants every request at once, and records shared holds. */
    const fakeLocks = (withQuery: boolean) => {
      const held: Array<{ name: string; mode: string }> = []
      const locks = {
        request: async (name: string, options: { mode?: string }, fn: () => Promise<unknown>) => {
          const entry = { name, mode: options.mode ?? 'exclusive' }
          held.push(entry)
          try {
            return await fn()
          } finally {
            held.splice(held.indexOf(entry), 1)
          }
        },
        ...(withQuery && { query: () => Promise.resolve({ held: [...held], pending: [] }) }),
      }
      vi.stubGlobal('navigator', { ...globalThis.navigator, locks })
      return held
    }

    it('without navigator.locks.query (an old engine): asks and waits peerTimeout', async () => {
      await closedSession()
      fakeLocks(false)
      const before = env.server.refreshCount()
      const tab = env.browser.open({}, { document: true, defaults: ['lock'] })
      const started = tab.client.start()
      await advance(249)
      expect(env.server.refreshCount()).toBe(before)
      await advance(1)
      await run(started)
      expect(env.server.refreshCount() - before).toBe(1)
    })

    it('with navigator.locks.query: refreshes at once, then holds the shared lock', async () => {
      await closedSession()
      const held = fakeLocks(true)
      const before = env.server.refreshCount()
      const tab = env.browser.open({}, { document: true, defaults: ['lock'] })
      const startedAt = Date.now()
      await run(tab.client.start())
      expect(env.server.refreshCount() - before).toBe(1)
      expect(Date.now()).toBe(startedAt)
      expect(held).toEqual([{ name: presenceLock(), mode: 'shared' }])
      tab.client.destroy()
      await drain()
      expect(held).toEqual([])
    })
  })
})

describe('an anonymous visitor (no companion cookie)', () => {
  it('is unauthenticated at once: no request, no lock read, no message', async () => {
    const heard = listen()
    const tab = env.browser.open({}, { document: true })
    const startedAt = Date.now()
    await run(tab.client.start())
    expect(status(tab)).toBe('unauthenticated')
    expect(Date.now()).toBe(startedAt)
    expect(env.server.refreshCount()).toBe(0)
    expect(env.browser.locks.queries).toBe(0)
    expect(heard).toEqual([])
    expect(holders()).toBe(0)
  })
})

describe('a page in the back/forward cache', () => {
  const pageEvent = (type: string, persisted: boolean) =>
    Object.assign(new Event(type), { persisted })

  it('lets go of the lock while cached (it cannot answer there) and takes it again when shown', () => {
    const page = new EventTarget()
    const presence = createTabPresence(env.browser.locks.adapter(true), 'p', page)
    const held = () => env.browser.locks.held.get('p') ?? 0
    presence.set(true)
    expect(held()).toBe(1)
    page.dispatchEvent(pageEvent('pagehide', false)) // unloaded for good: the browser lets go
    expect(held()).toBe(1)
    page.dispatchEvent(pageEvent('pagehide', true))
    expect(held()).toBe(0)
    page.dispatchEvent(pageEvent('pageshow', true))
    expect(held()).toBe(1)
    presence.close()
    expect(held()).toBe(0)
    // Closed: no longer listening.
    page.dispatchEvent(pageEvent('pageshow', true))
    expect(held()).toBe(0)
  })

  it('a session that ended while cached is not announced when shown', () => {
    const page = new EventTarget()
    const presence = createTabPresence(env.browser.locks.adapter(true), 'p', page)
    presence.set(true)
    page.dispatchEvent(pageEvent('pagehide', true))
    presence.set(false)
    page.dispatchEvent(pageEvent('pageshow', true))
    expect(env.browser.locks.held.get('p')).toBeUndefined()
  })
})
