/**
 * A tab's start at the physical limit (issue 18): a lone tab refreshes at once (the presence
 * marker lists nobody: not even a lock read), tabs that start together still make one refresh, a
 * tab beside a signed-in one makes none and waits for nothing but the channel, a crashed tab's
 * entry is pruned, and a browser that cannot tell whether another tab holds a session falls back
 * to asking and waiting `peerTimeout`. Fake time only moves when a test moves it, so "at once"
 * is exact: no fake millisecond passes.
 */
import type { LockAdapter } from '@baton/client'
import { TAB_PROTOCOL_VERSION } from '@baton/protocol'
import { describe, expect, it, vi } from 'vitest'
import { processLock } from '../src/adapters/lock.js'
import { createTabPresence } from '../src/tab-presence.js'
import {
  advance,
  drain,
  jwtPart,
  run,
  settled,
  signedInTabs,
  type Tab,
  useBrowser,
} from './harness'

const env = useBrowser()

const status = (tab: Tab) => tab.client.store.getState().status
/** The prefix of the lock every tab with a session holds, named after its id (`tab-presence.ts`). */
const presenceLock = () => `${env.browser.channel}:${TAB_PROTOCOL_VERSION}:session`
const holders = () =>
  [...env.browser.locks.held]
    .filter(([name]) => name.startsWith(`${presenceLock()}:`))
    .reduce((sum, [, n]) => sum + n, 0)
/** The presence marker: one key per listed tab, `<prefix><tab id>`, in this browser's storage. */
const MARKER = () => `${env.browser.channel}:${TAB_PROTOCOL_VERSION}:tab:`
const listed = () =>
  [...env.browser.storage.keys()]
    .filter((key) => key.startsWith(MARKER()))
    .map((key) => key.slice(MARKER().length))
/** Lists `id` as a tab would (without its lock: a crashed tab, or a frozen one with its lock). */
const list = (id: string) => env.browser.storage.set(MARKER() + id, '1')
/** A tab id as `crypto.randomUUID()` makes them. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

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
  expect(listed()).toEqual([])
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
    // The refresh went out and came back without a fake millisecond passing, and without a
    // lock read: the marker listed nobody.
    expect(env.server.refreshCount() - before).toBe(1)
    expect(status(tab)).toBe('authenticated')
    expect(Date.now()).toBe(startedAt)
    expect(env.browser.locks.queries).toBe(0)
    await started
    // The question goes out all the same, in case a peer is refreshing; nobody is.
    expect(heard.map((m) => m.type)).toEqual(['hello', 'refreshing', 'grant'])
    expect(tab.events).toEqual([
      { type: 'refresh_start', source: 'local', trigger: 'start' },
      { type: 'signed_in', source: 'local' },
      { type: 'refresh_end', source: 'local', ok: true },
    ])
  })

  it('opens its key store while the refresh lock is on its way, and reads the key only under it', async () => {
    await closedSession()
    const steps: string[] = []
    const lock = env.browser.locks.adapter(true)
    // Granted after the request returns, as Web Locks always are (never in the same task).
    const watched: LockAdapter = Object.assign(
      async (name: string, timeoutMs: number, fn: () => Promise<unknown>) => {
        if (name.endsWith(':refresh')) steps.push('refresh lock asked for')
        await Promise.resolve()
        return lock(name, timeoutMs, () => {
          if (name.endsWith(':refresh')) steps.push('refresh lock')
          return fn()
        })
      },
      { hold: lock.hold, query: lock.query },
    ) as LockAdapter
    const tab = env.browser.open(
      {
        adapters: {
          lock: watched,
          dpopKeys: () => ({
            prepare: () => void steps.push('prepare'),
            load: () => (steps.push('load'), Promise.resolve(null)),
            save: () => Promise.resolve(),
          }),
        },
      },
      { document: true },
    )
    await tab.client.start()
    expect(status(tab)).toBe('authenticated')
    expect(steps).toEqual(['refresh lock asked for', 'prepare', 'refresh lock', 'load'])
  })

  it('says it is refreshing (listed, and on the channel) before its refresh request goes out', async () => {
    await closedSession()
    const posted: string[] = []
    let atRequest: { posted: string[]; listed: number } | undefined
    const tab = env.browser.open(
      {
        fetch: (input, init) => {
          const url =
            input instanceof Request ? input.url : input instanceof URL ? input.href : input
          if (url.endsWith('/auth/refresh'))
            atRequest ??= { posted: [...posted], listed: listed().length }
          return env.browser.fetch(input, init)
        },
        adapters: {
          channel: (name) => {
            const channel = env.browser.bus.open(name)
            return {
              ...channel,
              post: (message) => {
                posted.push((message as { type: string }).type)
                channel.post(message)
              },
            }
          },
        },
      },
      { document: true },
    )
    await tab.client.start()
    expect(atRequest).toEqual({ posted: ['hello', 'refreshing'], listed: 1 })
  })

  it('a key store whose prepare() throws still loads and signs the tab in', async () => {
    await closedSession()
    const loads = vi.fn(() => Promise.resolve(null))
    const tab = env.browser.open(
      {
        adapters: {
          dpopKeys: () => ({
            prepare: () => {
              throw new Error('storage disabled')
            },
            load: loads,
            save: () => Promise.resolve(),
          }),
        },
      },
      { document: true },
    )
    await tab.client.start()
    expect(status(tab)).toBe('authenticated')
    expect(loads).toHaveBeenCalledTimes(1)
  })

  it('another tab signs in while this one waits for the lock (a new key, a new session): its refresh signs with the new key, read under the lock', async () => {
    await signedInTabs(env.browser, 1, {}, { document: true, dpop: true })
    env.browser.destroy()
    const base = env.browser.locks.adapter(true)
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    // The lock this tab asks for is granted only after the other tab's sign-in holds it and
    // lets go, as the browser would queue it.
    const lock: LockAdapter = async (name, timeoutMs, fn) => {
      if (name.endsWith(':refresh')) await released
      return base(name, timeoutMs, fn)
    }
    lock.hold = base.hold!
    lock.query = base.query!
    const starting = env.browser.open({ adapters: { lock } }, { document: true, dpop: true })
    const started = starting.client.start()
    await drain()
    // The other tab: its messages reach nobody (it is not listed either), so this tab learns of
    // the sign-in only from the cookie jar and the key store.
    const other = env.browser.open(
      { adapters: { channel: () => ({ post() {}, subscribe: () => () => {}, close() {} }) } },
      { document: true, dpop: true },
    )
    await run(other.client.login({ username: 'alice', password: 'alice-pw' }))
    const newKey = env.browser.deviceKeys.get(env.browser.channel)!
    const from = env.server.dpop.length
    release()
    await run(started)
    expect(status(starting)).toBe('authenticated')
    const [refresh] = env.server.dpop.slice(from).filter((r) => r.path === '/auth/refresh')
    const { x, y } = await crypto.subtle.exportKey('jwk', newKey.publicKey)
    expect(jwtPart(refresh!.proof!, 0).jwk).toEqual({ kty: 'EC', crv: 'P-256', x, y })
    expect(refresh!.status).toBe(200)
    expect(env.server.events.filter((e) => e.type === 'binding_mismatch')).toEqual([])
    // The new session lives on, and the starting tab is on it.
    const me = () => ({ id: 'u-alice', sessionId: other.client.store.getState().sessionId })
    expect(await run(other.api.get('me').json())).toEqual(me())
    expect(await run(starting.api.get('me').json())).toEqual(me())
  })

  it('is listed and holds its lock while it has a session, and neither after sign-out or destroy', async () => {
    const [tab] = await signedInTabs(env.browser, 1, {}, { document: true })
    expect(holders()).toBe(1)
    const [id] = listed()
    expect(listed()).toEqual([expect.stringMatching(UUID)])
    expect(env.browser.locks.held.get(`${presenceLock()}:${id}`)).toBe(1)
    await run(tab!.client.logout())
    expect(holders()).toBe(0)
    expect(listed()).toEqual([])
    await run(tab!.client.login({ username: 'alice', password: 'alice-pw' }))
    expect(holders()).toBe(1)
    expect(listed()).toEqual([id])
    tab!.client.destroy()
    expect(holders()).toBe(0)
    expect(listed()).toEqual([])
  })

  it('two tabs signed out together leave no entry behind (one key each: no lost update)', async () => {
    const [a] = await signedInTabs(env.browser, 2, {}, { document: true })
    expect(listed()).toHaveLength(2)
    await run(a!.client.logout())
    await drain()
    expect(listed()).toEqual([])
    expect([...env.browser.storage]).toEqual([])
  })

  it('a storage that cannot list its keys (no length or key()): the locks are read instead', async () => {
    await closedSession()
    const { storage } = env.browser
    const plain = {
      getItem: (key: string) => storage.get(key) ?? null,
      setItem: (key: string, value: string) => void storage.set(key, value),
      removeItem: (key: string) => void storage.delete(key),
    }
    const tab = env.browser.open({ adapters: { storage: plain } }, { document: true })
    const startedAt = Date.now()
    await run(tab.client.start())
    expect(status(tab)).toBe('authenticated')
    expect(Date.now()).toBe(startedAt)
    expect(env.browser.locks.queries).toBe(1)
    // It still lists itself, for the tabs that can read the marker.
    expect(listed()).toEqual([expect.stringMatching(UUID)])
  })

  it('the marker holds random tab ids only: no token, no session id', async () => {
    const tabs = await signedInTabs(env.browser, 3, {}, { document: true })
    const token = await run(tabs[0]!.client.getAccessToken())
    const { sessionId } = tabs[0]!.client.store.getState()
    const ids = listed()
    expect(ids).toHaveLength(3)
    for (const id of ids) expect(id).toMatch(UUID)
    expect(new Set(ids).size).toBe(3)
    expect([...env.browser.storage.values()]).toEqual(['1', '1', '1'])
    const stored = JSON.stringify([...env.browser.storage])
    expect(stored).not.toContain(token)
    expect(stored).not.toContain(sessionId!)
  })

  it('holds it once, however often it is started (StrictMode), and not after a hot reload', async () => {
    await closedSession()
    const old = env.browser.open({}, { document: true })
    await run(Promise.all([old.client.start(), old.client.start(), old.client.start()]))
    expect(holders()).toBe(1)
    expect(listed()).toHaveLength(1)
    // HMR: the module's old client is destroyed, a new one starts and takes the token from
    // nobody (the old one let go first), so it refreshes at once.
    old.client.destroy()
    const before = env.server.refreshCount()
    const fresh = env.browser.open({}, { document: true })
    const startedAt = Date.now()
    await run(fresh.client.start())
    expect(env.server.refreshCount() - before).toBe(1)
    expect(Date.now()).toBe(startedAt)
    expect(env.browser.locks.queries).toBe(0)
    expect(holders()).toBe(1)
    expect(listed()).toHaveLength(1)
  })

  it('a tab without a channel never holds it (it could not answer)', async () => {
    const tab = env.browser.open({ adapters: { channel: () => null } }, { document: true })
    await run(tab.client.start())
    await run(tab.client.login({ username: 'alice', password: 'alice-pw' }))
    expect(status(tab)).toBe('authenticated')
    expect(holders()).toBe(0)
    expect(listed()).toEqual([])
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
      const queries = env.browser.locks.queries
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
      // Listed ids are confirmed with one lock read before anyone is asked.
      expect(env.browser.locks.queries - queries).toBe(1)
      expect(holders()).toBe(n + 1)
      expect(listed()).toHaveLength(n + 1)
    },
  )

  it('asks them first: the question goes out before its first storage or lock call, once', async () => {
    await signedInTabs(env.browser, 1, {}, { document: true })
    const before = env.server.refreshCount()
    const calls: string[] = []
    const lock = env.browser.locks.adapter(true)
    const traced: LockAdapter = Object.assign(
      <R>(name: string, timeout: number, fn: () => Promise<R>) => (
        calls.push('lock'),
        lock(name, timeout, fn)
      ),
      {
        hold: (name: string) => (calls.push('lock'), lock.hold!(name)),
        query: () => (calls.push('lock'), lock.query!()),
      },
    )
    const { storage } = env.browser
    const tab = env.browser.open(
      {
        adapters: {
          lock: traced,
          channel: (name) => {
            const channel = env.browser.bus.open(name)
            const post = (message: unknown) => {
              calls.push(`post ${(message as { type: string }).type}`)
              channel.post(message)
            }
            return { ...channel, post }
          },
          storage: {
            getItem: (key) => (calls.push('storage'), storage.get(key) ?? null),
            setItem: (key, value) => void (calls.push('storage'), storage.set(key, value)),
            removeItem: (key) => void (calls.push('storage'), storage.delete(key)),
          },
        },
      },
      { document: true },
    )
    await run(tab.client.start())
    expect(calls[0]).toBe('post hello')
    expect(calls.filter((call) => call === 'post hello')).toHaveLength(1)
    expect(calls).toContain('storage')
    expect(calls).toContain('lock')
    expect(status(tab)).toBe('authenticated')
    expect(tab.events).toContainEqual({ type: 'signed_in', source: 'peer' })
    expect(env.server.refreshCount()).toBe(before)
  })

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

  // Before, the backing-off tab stayed listed and answered the question with a refresh of its
  // own, so every tab started during an outage made it call the BFF again (ahead of its retry).
  it('beside one whose token expired (its refresh failed, it backs off): it is not listed, the new tab refreshes at once and hands it the grant', async () => {
    const [a] = await signedInTabs(
      env.browser,
      1,
      { retry: { initial: 60_000, max: 60_000 } },
      { document: true },
    )
    env.browser.offline = true
    a!.client.invalidateAccessToken()
    void a!.client.getAccessToken().catch(() => {})
    await drain()
    expect(a!.events.at(-1)).toMatchObject({ type: 'retry_scheduled' })
    // A session, but no token to hand over before its retry: nobody to ask.
    expect(listed()).toEqual([])
    env.browser.offline = false
    const before = env.server.refreshCount()
    const tab = env.browser.open({}, { document: true })
    const startedAt = Date.now()
    await run(tab.client.start())
    expect(status(tab)).toBe('authenticated')
    expect(Date.now()).toBe(startedAt)
    expect(env.server.refreshCount() - before).toBe(1)
    expect(tab.events).toContainEqual({ type: 'signed_in', source: 'local' })
    await drain()
    expect(a!.client.store.getState()).toMatchObject({ status: 'authenticated', error: null })
    expect(listed()).toHaveLength(2)
  })

  it('beside one that holds the lock but never answers (frozen): asks, then refreshes after peerTimeout', async () => {
    await closedSession()
    const frozenId = crypto.randomUUID()
    const frozen = env.browser.locks.adapter(true).hold!(`${presenceLock()}:${frozenId}`)
    list(frozenId)
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
  it('beside one whose lock read never answers: one peerTimeout for the read and the answer, not one each', async () => {
    await closedSession()
    list(crypto.randomUUID())
    const base = env.browser.locks.adapter(true)
    const lock: LockAdapter = (name, timeoutMs, fn) => base(name, timeoutMs, fn)
    lock.hold = base.hold!
    lock.query = () => new Promise(() => {})
    const before = env.server.refreshCount()
    const tab = env.browser.open({ adapters: { lock } }, { document: true })
    const started = tab.client.start()
    await advance(249)
    expect(env.server.refreshCount()).toBe(before)
    await advance(1)
    expect(env.server.refreshCount() - before).toBe(1)
    await run(started)
    expect(status(tab)).toBe('authenticated')
  })
  it('hears, while its gated lock request is pending, that another user signed in: it checks once the lock is let go, and switches', async () => {
    // a switches account to bob on a slow BFF: its sign-in holds the lock meanwhile, and a still
    // answers the new tab's question with alice's token.
    const slowLogin: typeof fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : String(input)
      if (url.endsWith('/auth/login')) await new Promise((resolve) => setTimeout(resolve, 300))
      return env.browser.fetch(input, init)
    }
    const [a] = await signedInTabs(env.browser, 1, { fetch: slowLogin }, { document: true })
    // The new tab's lock manager grants a moment later than the channel delivers (two IPCs).
    const base = env.browser.locks.adapter(true)
    const lock: LockAdapter = Object.assign(
      <R>(name: string, timeout: number, fn: () => Promise<R>) =>
        base(name, timeout, async () => {
          await new Promise((resolve) => setTimeout(resolve, 20))
          return fn()
        }),
      { hold: base.hold!, query: base.query! },
    )
    const before = env.server.refreshCount()
    const tab = env.browser.open({ adapters: { lock } }, { document: true })
    const bob = a!.client.login({ username: 'bob', password: 'bob-pw' })
    await drain()
    const started = tab.client.start()
    await run(bob)
    await run(started)
    expect(tab.client.store.getState().user?.id).toBe('u-alice')
    // bob's grant named another user: one refresh, after the boot's shut gate, says who it is.
    await advance(1_000)
    expect(tab.client.store.getState()).toMatchObject({
      status: 'authenticated',
      user: { id: 'u-bob' },
    })
    expect(env.server.refreshCount() - before).toBe(1)
    expect(await run(tab.api.get('me').json())).toMatchObject({ id: 'u-bob' })
  })

  // Before, its start and requests waited for its gated lock request, behind the frozen holder,
  // until the take-over (2 × requestTimeout), though it held the peer's token.
  it('while a frozen tab holds the refresh lock: uses the token its peer handed over at once, without waiting for the lock take-over', async () => {
    const [a] = await signedInTabs(env.browser, 1)
    // A tab that froze while holding the refresh lock (no announcement, nothing in flight).
    void processLock(`${env.browser.channel}:refresh`, 0, () => new Promise<never>(() => {}))
    // The signed-in tab is not affected: its request goes at once.
    const fromA = settled(a!.client.fetch('http://app.test/api/me'))
    await advance(50)
    expect(fromA.done).toBe(true)

    const c = env.browser.open()
    const started = settled(c.client.start())
    await advance(500)
    // c got a's token (no refresh of its own), so it is signed in...
    expect(c.client.store.getState().status).toBe('authenticated')
    expect(c.events.some((e) => e.type === 'token_from_peer')).toBe(true)
    const fromC = settled(c.client.fetch('http://app.test/api/me'))
    await advance(1_000)
    await drain()
    // ...and its start and first request should not wait 20 s for a lock it does not need.
    expect(started.done).toBe(true)
    expect(fromC.done).toBe(true)
    expect(fromC.value?.status).toBe(200)
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
      expect(held).toEqual([{ name: `${presenceLock()}:${listed()[0]}`, mode: 'shared' }])
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

describe('the presence marker', () => {
  it('a crashed tab (listed, its lock gone with it): one lock read, its id pruned, the refresh at once', async () => {
    await closedSession()
    // A tab that crashed: the browser let go of its lock, nobody unlisted it.
    const crashed = crypto.randomUUID()
    list(crashed)
    const before = env.server.refreshCount()
    const tab = env.browser.open({}, { document: true })
    const startedAt = Date.now()
    await run(tab.client.start())
    expect(env.server.refreshCount() - before).toBe(1)
    expect(Date.now()).toBe(startedAt)
    expect(env.browser.locks.queries).toBe(1)
    expect(status(tab)).toBe('authenticated')
    expect(listed()).not.toContain(crashed)
    expect(listed()).toEqual([expect.stringMatching(UUID)])
    // The next page load finds the marker true again: no lock read.
    tab.client.destroy()
    const next = env.browser.open({}, { document: true })
    await run(next.client.start())
    expect(env.browser.locks.queries).toBe(1)
    expect(env.server.refreshCount() - before).toBe(2)
  })

  it('ignores what is not a tab id, and a listed id nobody holds is no peer', async () => {
    await closedSession()
    env.browser.storage.set(`${MARKER()}not/an-id`, '1')
    env.browser.storage.set(`${MARKER()}x`, '1')
    const tab = env.browser.open({}, { document: true })
    await run(tab.client.start())
    expect(status(tab)).toBe('authenticated')
    // Nothing valid was listed: nobody to confirm.
    expect(env.browser.locks.queries).toBe(0)
    expect(listed()).toEqual(['not/an-id', 'x', expect.stringMatching(UUID)])
  })

  it('a page that leaves (pagehide) unlists itself at once: a reload refreshes without a lock read', async () => {
    const page = new EventTarget()
    vi.stubGlobal('document', { cookie: '' })
    vi.stubGlobal('addEventListener', page.addEventListener.bind(page))
    vi.stubGlobal('removeEventListener', page.removeEventListener.bind(page))
    const [tab] = await signedInTabs(env.browser, 1, {}, { document: true })
    expect(listed()).toHaveLength(1)
    page.dispatchEvent(Object.assign(new Event('pagehide'), { persisted: false }))
    expect(listed()).toEqual([])
    expect(holders()).toBe(0)
    // Whatever the leaving page still does, it does not list itself again.
    tab!.client.invalidateAccessToken()
    await run(tab!.client.getAccessToken())
    expect(listed()).toEqual([])
  })

  it('an entry removed by someone else comes back at the tab’s next settle', async () => {
    await signedInTabs(env.browser, 2, {}, { document: true })
    const [first] = listed()
    // Pruned by a tab whose lock read came before this tab's lock was registered, or a script.
    env.browser.storage.delete(MARKER() + first)
    // Any message heard (here: a new tab's question) makes every tab settle, and list itself.
    const c = env.browser.open({}, { document: true })
    await run(c.client.start())
    expect(listed()).toHaveLength(3)
    expect(listed()).toContain(first)
  })

  describe('storage that throws (sandboxed iframe, storage disabled)', () => {
    const throwing = {
      getItem: () => {
        throw new DOMException('denied', 'SecurityError')
      },
      setItem: () => {
        throw new DOMException('denied', 'SecurityError')
      },
      removeItem: () => {
        throw new DOMException('denied', 'SecurityError')
      },
    }

    it('a lone tab falls back to the lock read and still refreshes at once', async () => {
      await closedSession()
      const before = env.server.refreshCount()
      const tab = env.browser.open({ adapters: { storage: throwing } }, { document: true })
      const startedAt = Date.now()
      await run(tab.client.start())
      expect(env.server.refreshCount() - before).toBe(1)
      expect(Date.now()).toBe(startedAt)
      expect(env.browser.locks.queries).toBe(1)
      expect(status(tab)).toBe('authenticated')
      expect(holders()).toBe(1)
    })

    it('beside a signed-in tab whose storage throws: no refresh, the token from the peer', async () => {
      await signedInTabs(env.browser, 1, { adapters: { storage: throwing } }, { document: true })
      const before = env.server.refreshCount()
      const tab = env.browser.open({ adapters: { storage: throwing } }, { document: true })
      await run(tab.client.start())
      expect(status(tab)).toBe('authenticated')
      expect(env.server.refreshCount()).toBe(before)
      expect(tab.events).toContainEqual({ type: 'signed_in', source: 'peer' })
    })
  })
})

describe('two tabs that start together, both finding no id listed', () => {
  it('make one refresh: the second is queued behind the first one’s lock and adopts its grant', async () => {
    await closedSession()
    env.server.refreshDelayMs = 100
    // A lock granted a task later, as the browser grants one: both tabs read the marker before
    // either has the lock and lists itself, and both go for the lock.
    const base = env.browser.locks.adapter(true)
    const lock: LockAdapter = async (name, timeoutMs, fn) => {
      await new Promise((resolve) => setImmediate(resolve))
      return base(name, timeoutMs, fn)
    }
    lock.hold = base.hold!
    lock.query = base.query!
    const before = env.server.refreshCount()
    const [a, b] = [1, 2].map(() => env.browser.open({ adapters: { lock } }, { document: true }))
    const started = [a!.client.start(), b!.client.start()]
    await drain()
    expect(listed()).toHaveLength(1)
    await advance(100)
    await run(Promise.all(started))
    expect(env.server.refreshCount() - before).toBe(1)
    expect(env.browser.locks.queries).toBe(0)
    expect([status(a!), status(b!)]).toEqual(['authenticated', 'authenticated'])
    expect(b!.events).toContainEqual({ type: 'signed_in', source: 'peer' })
    expect(b!.events.filter((e) => e.type === 'refresh_start' && e.source === 'local')).toEqual([])
    expect(await run(b!.client.getAccessToken())).toBe(await run(a!.client.getAccessToken()))
    expect(listed()).toHaveLength(2)
  })

  it('the second starting while the first refreshes, before its entry is visible: one refresh (it hears the first is refreshing)', async () => {
    await closedSession()
    env.server.refreshDelayMs = 300
    const before = env.server.refreshCount()
    const a = env.browser.open({}, { document: true })
    const first = a.client.start()
    await drain()
    expect(env.server.refreshCount() - before).toBe(1)
    // Storage reaches other tabs later than the lock does: the second tab reads no entry.
    expect(listed()).toHaveLength(1)
    env.browser.storage.delete(MARKER() + listed()[0])
    const heard = listen()
    const b = env.browser.open({}, { document: true })
    const second = b.client.start()
    await drain()
    expect(heard.map((m) => m.type)).toEqual(['hello', 'refreshing'])
    await advance(300)
    await run(Promise.all([first, second]))
    expect(env.server.refreshCount() - before).toBe(1)
    expect(env.browser.locks.queries).toBe(0)
    expect(status(b)).toBe('authenticated')
    expect(await run(b.client.getAccessToken())).toBe(await run(a.client.getAccessToken()))
    expect(env.server.events.filter((e) => e.type === 'reuse_detected')).toHaveLength(0)
  })
})

describe('a page in the back/forward cache', () => {
  const pageEvent = (type: string, persisted: boolean) =>
    Object.assign(new Event(type), { persisted })
  const storage = new Map<string, string>()
  const marker = {
    prefix: 'p:tab:',
    storage: () => ({
      getItem: (key: string) => storage.get(key) ?? null,
      setItem: (key: string, value: string) => void storage.set(key, value),
      removeItem: (key: string) => void storage.delete(key),
      key: (index: number) => [...storage.keys()][index] ?? null,
      length: storage.size,
    }),
  }
  const entries = () => [...storage.keys()].filter((key) => key.startsWith('p:tab:'))
  const held = () => [...env.browser.locks.held].filter(([name]) => name.startsWith('p:')).length

  it('unlists itself and lets go of the lock while cached (it cannot answer there), and takes both again when shown', () => {
    storage.clear()
    const page = new EventTarget()
    const presence = createTabPresence(env.browser.locks.adapter(true), 'p', marker, page)
    presence.set(true)
    expect(held()).toBe(1)
    expect(entries()).toEqual([expect.stringMatching(/^p:tab:[0-9a-f-]{36}$/)])
    page.dispatchEvent(pageEvent('pagehide', true))
    expect(held()).toBe(0)
    expect(entries()).toEqual([])
    page.dispatchEvent(pageEvent('pageshow', true))
    expect(held()).toBe(1)
    expect(entries()).toEqual([expect.stringMatching(/^p:tab:[0-9a-f-]{36}$/)])
    presence.close()
    expect(held()).toBe(0)
    expect(entries()).toEqual([])
    // Closed: no longer listening.
    page.dispatchEvent(pageEvent('pageshow', true))
    expect(held()).toBe(0)
  })

  it('a session that ended while cached is not announced when shown', () => {
    storage.clear()
    const page = new EventTarget()
    const presence = createTabPresence(env.browser.locks.adapter(true), 'p', marker, page)
    presence.set(true)
    page.dispatchEvent(pageEvent('pagehide', true))
    presence.set(false)
    page.dispatchEvent(pageEvent('pageshow', true))
    expect(held()).toBe(0)
    expect(entries()).toEqual([])
  })
})
