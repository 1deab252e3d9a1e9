/**
 * What the injected adapters let a test do without stubbing a global: a lock that hangs, a message
 * that is lost, a message that is not Baton's.
 */
import type { LockAdapter } from '@baton/client'
import { TAB_PROTOCOL_VERSION } from '@baton/protocol'
import { describe, expect, it, vi } from 'vitest'
import { navigatorLock, processLock } from '../src/adapters/lock.js'
import { advance, drain, run, settled, signedInTabs, type Tab, useBrowser } from './harness'

const env = useBrowser()

/**
 * Web Locks as a browser's `navigator.locks` has them, for the tabs of a test: exclusive and
 * shared modes, `signal`, `steal` and `query()`, each grant in a later microtask. With `queryMs`,
 * `query()` answers after that much time, as the browser process does, and queries made meanwhile
 * get one answer together (one trip, whose answers reach the tabs before a message between them).
 */
function webLocks(queryMs = 0) {
  interface Request {
    name: string
    shared: boolean
    grant: () => void
    fail: (error: unknown) => void
  }
  const held: Request[] = []
  const pending: Request[] = []
  let trip: Array<() => void> | null = null
  const abortError = () => new DOMException('The lock request was aborted.', 'AbortError')
  const grantable = (r: Request) =>
    !held.some((h) => h.name === r.name && (!h.shared || !r.shared)) &&
    pending.find((p) => p.name === r.name) === r
  const pump = () => {
    for (const r of [...pending]) {
      if (!grantable(r)) continue
      pending.splice(pending.indexOf(r), 1)
      held.push(r)
      queueMicrotask(r.grant)
    }
  }
  return {
    request<R>(
      name: string,
      options: { signal?: AbortSignal; steal?: boolean; mode?: 'exclusive' | 'shared' },
      fn: () => Promise<R>,
    ): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        const r: Request = {
          name,
          shared: options.mode === 'shared',
          grant: () => {
            void fn()
              .then(resolve, reject)
              .finally(() => {
                if (held.includes(r)) held.splice(held.indexOf(r), 1)
                pump()
              })
          },
          fail: reject,
        }
        if (options.steal) {
          for (const h of held.filter((h) => h.name === name)) {
            held.splice(held.indexOf(h), 1)
            h.fail(abortError())
          }
          pending.unshift(r)
        } else {
          if (options.signal?.aborted) return reject(abortError())
          pending.push(r)
          options.signal?.addEventListener('abort', () => {
            if (!pending.includes(r)) return
            pending.splice(pending.indexOf(r), 1)
            reject(abortError())
          })
        }
        pump()
      })
    },
    query: () =>
      new Promise<{ held: { name: string }[]; pending: { name: string }[] }>((resolve) => {
        const answer = () =>
          resolve({
            held: held.map(({ name }) => ({ name })),
            pending: pending.map(({ name }) => ({ name })),
          })
        if (queryMs === 0) return answer()
        if (trip) return void trip.push(answer)
        const answers = (trip = [answer])
        setTimeout(() => {
          trip = null
          for (const a of answers) a()
        }, queryMs)
      }),
  }
}

/** Options under which each refresh takes 1.9 s of a 2 s requestTimeout (no retry meanwhile). */
const QUEUED = { requestTimeout: 2_000, retry: { initial: 60_000, max: 60_000 } }

/**
 * All `tabs` refresh at once through a slow BFF: each holder is within its bounds, but the fourth
 * tab waits for three of them, 5.7 s, more than twice requestTimeout. One refresh at a time.
 */
async function expectNoTakeoverFromWorkingHolders(tabs: Tab[]) {
  env.server.refreshOutage = true
  env.server.refreshDelayMs = 1_900
  const before = env.server.refreshCount()
  for (const tab of tabs) tab.client.invalidateAccessToken()
  for (const tab of tabs) tab.client.getAccessToken().catch(() => {})
  await advance(8_000)
  expect(env.server.refreshCount() - before).toBe(tabs.length)
  expect(env.server.refreshConcurrency.max).toBe(1)
}

/** `tab` refreshes, the lock held by a frozen tab: not before `afterMs`, and then at once. */
async function expectTakeoverAfter(tab: Tab, afterMs: number) {
  const before = env.server.refreshCount()
  tab.client.invalidateAccessToken()
  const token = tab.client.getAccessToken()
  await advance(afterMs - 1)
  expect(env.server.refreshCount()).toBe(before)
  await advance(1)
  expect(env.server.refreshCount()).toBe(before + 1)
  await expect(run(token)).resolves.toEqual(expect.any(String))
}

describe('the lock adapter', () => {
  it('a lock hung by another tab is taken over after twice requestTimeout, not waited on for ever', async () => {
    const [tab] = await signedInTabs(env.browser, 1, { requestTimeout: 1_000 })
    // A tab that froze while holding the refresh lock.
    void processLock(`${env.browser.channel}:refresh`, 0, () => new Promise<never>(() => {}))
    await expectTakeoverAfter(tab!, 2_000)
  })

  it('with the default options, a request queued behind a hung lock gets the token the take-over brings', async () => {
    const [tab] = await signedInTabs(env.browser, 1)
    void processLock(`${env.browser.channel}:refresh`, 0, () => new Promise<never>(() => {}))
    tab!.client.invalidateAccessToken()
    const before = env.server.refreshCount()
    const token = settled(tab!.client.getAccessToken())
    // Taken over at 2 × requestTimeout (20 s); before, queueTimeout (15 s) rejected it first.
    await advance(21_000)
    expect(env.server.refreshCount() - before).toBe(1)
    expect(tab!.client.store.getState()).toMatchObject({ status: 'authenticated', error: null })
    expect(token.error).toBeUndefined()
    expect(token.value).toEqual(await run(tab!.client.getAccessToken()))
  })

  it('a tab queued behind two others waits for each holder in turn, never taking over from one still working', async () => {
    await expectNoTakeoverFromWorkingHolders(await signedInTabs(env.browser, 4, QUEUED))
  })

  it('with Web Locks, a tab queued behind two others never takes over from one still working', async () => {
    vi.stubGlobal('navigator', { locks: webLocks() })
    const tabs = await signedInTabs(env.browser, 4, QUEUED, { defaults: ['lock'] })
    await expectNoTakeoverFromWorkingHolders(tabs)
  })

  it('with Web Locks, a lock hung by another tab is still taken over after twice requestTimeout', async () => {
    const locks = webLocks()
    vi.stubGlobal('navigator', { locks })
    const [tab] = await signedInTabs(
      env.browser,
      1,
      { requestTimeout: 1_000 },
      { defaults: ['lock'] },
    )
    // Stolen from in the end: its request rejects, as Web Locks' does.
    locks
      .request(`${env.browser.channel}:refresh`, {}, () => new Promise<never>(() => {}))
      .catch(() => {})
    await expectTakeoverAfter(tab!, 2_000)
  })

  it('with Web Locks, two tabs queued behind a hung holder take it over one at a time', async () => {
    // Both give up on the holder at once, and the first to take over is working when the second
    // would: stolen from, it would go on, and two refreshes would spend one cookie.
    const locks = webLocks(5)
    vi.stubGlobal('navigator', { locks })
    const tabs = await signedInTabs(env.browser, 2, QUEUED, { defaults: ['lock'] })
    locks
      .request(`${env.browser.channel}:refresh`, {}, () => new Promise<never>(() => {}))
      .catch(() => {})
    env.server.refreshDelayMs = 500
    const before = env.server.refreshCount()
    const startedAt = Date.now()
    // Both need a token at the same moment (an `online` event wakes every tab at once).
    for (const tab of tabs) tab.client.invalidateAccessToken()
    const tokens = tabs.map((tab) => tab.client.getAccessToken())
    await advance(6_000)
    // One take-over after twice requestTimeout (and two queries); the other tab waits for it,
    // then finds its token and refreshes no more.
    expect(env.server.refreshTimes.slice(before).map((t) => t - startedAt)).toEqual([4_010])
    expect(env.server.refreshConcurrency.max).toBe(1)
    const [first, second] = await Promise.all(tokens.map(run))
    expect(second).toBe(first)
    for (const tab of tabs) {
      expect(tab.client.store.getState()).toMatchObject({ status: 'authenticated', error: null })
      expect(tab.events.filter((e) => e.type === 'retry_scheduled')).toEqual([])
    }
  })

  it('with Web Locks, destroy() withdraws a sign-in waiting behind a hung holder: it rejects at once, nothing is taken over or sent', async () => {
    const locks = webLocks()
    vi.stubGlobal('navigator', { locks })
    const [tab] = await signedInTabs(env.browser, 1, {}, { defaults: ['lock'] })
    let stolen = false
    locks
      .request(`${env.browser.channel}:refresh`, {}, () => new Promise<never>(() => {}))
      .catch(() => (stolen = true))
    const login = settled(tab!.client.login({ username: 'bob', password: 'bob-pw' }))
    const logout = settled(tab!.client.logout())
    await drain()
    tab!.client.destroy()
    await drain()
    expect(login.error).toMatchObject({ code: 'client_destroyed' })
    expect(logout.error).toMatchObject({ code: 'client_destroyed' })
    const { pending } = await locks.query()
    expect(pending.map(({ name }) => name)).not.toContain(`${env.browser.channel}:refresh`)
    await advance(60_000)
    expect(stolen).toBe(false)
    expect(env.server.events.filter((e) => e.type === 'login')).toHaveLength(1) // alice's
    expect(env.server.logoutCount()).toBe(0)
  })

  it('with Web Locks, a request withdrawn while its take-over is being judged steals nothing and runs nothing', async () => {
    const locks = webLocks(5)
    const lock = navigatorLock(locks)
    let stolen = false
    // A frozen tab holds the lock.
    locks
      .request('app:refresh', {}, () => new Promise<never>(() => {}))
      .catch(() => (stolen = true))
    await drain()
    const lifetime = new AbortController()
    let ran = false
    const call = settled(
      lock(
        'app:refresh',
        1_000,
        async () => {
          ran = true
          return 'ran'
        },
        lifetime.signal,
      ),
    )
    // The wait ends at 1 000 ms, its query answers at 1 005 ms (nothing to show for the holder):
    // the take-over lock is taken and the judge asks again, answered at 1 010 ms.
    await advance(1_007)
    expect(stolen).toBe(false)
    lifetime.abort() // the client's destroy()
    await advance(1_000)
    expect(stolen).toBe(false)
    expect(ran).toBe(false)
    expect(call.done).toBe(true)
    expect(call.error).toMatchObject({ name: 'AbortError' })
  })

  it('with Web Locks, a request withdrawn before it asks never takes the lock', async () => {
    const lock = navigatorLock(webLocks(5))
    const lifetime = new AbortController()
    lifetime.abort()
    let ran = false
    const call = settled(lock('app:refresh', 1_000, async () => void (ran = true), lifetime.signal))
    await advance(10)
    expect(ran).toBe(false)
    expect(call.error).toMatchObject({ name: 'AbortError' })
  })

  it('an adapter that ignores the signal: destroy() still rejects the waiting calls at once, and the lock granted later runs nothing', async () => {
    const [tab] = await signedInTabs(env.browser, 1)
    let unfreeze = () => {}
    const frozen = processLock(
      `${env.browser.channel}:refresh`,
      1e9,
      () => new Promise<void>((resolve) => (unfreeze = resolve)),
    )
    const before = env.server.refreshCount()
    tab!.client.invalidateAccessToken()
    const token = settled(tab!.client.getAccessToken())
    const login = settled(tab!.client.login({ username: 'bob', password: 'bob-pw' }))
    await drain()
    tab!.client.destroy()
    await drain()
    expect(token.error).toMatchObject({ code: 'client_destroyed' })
    expect(login.error).toMatchObject({ code: 'client_destroyed' })
    unfreeze()
    await run(frozen)
    await advance(60_000)
    expect(env.server.refreshCount()).toBe(before)
    expect(env.server.events.filter((e) => e.type === 'login')).toHaveLength(1) // alice's
  })

  it('is the one given, for login, refresh and logout', async () => {
    const calls: string[] = []
    const lock: LockAdapter = (name, timeout, fn) => {
      calls.push(name)
      return processLock(name, timeout, fn)
    }
    const tab = env.browser.open({ adapters: { lock } })
    await run(tab.client.start())
    await run(tab.client.login({ username: 'alice', password: 'alice-pw' }))
    await run(tab.client.logout())
    expect(calls).toEqual(Array(3).fill(`${env.browser.channel}:refresh`))
  })
})

describe('the channel adapter', () => {
  it('is opened under a name that carries the tab protocol version', async () => {
    const names: string[] = []
    const tab = env.browser.open({
      adapters: { channel: (name) => (names.push(name), env.browser.bus.open(name)) },
    })
    await run(tab.client.start())
    expect(names).toEqual([`${env.browser.channel}:${TAB_PROTOCOL_VERSION}`])
  })

  it('a lost grant: peers wait for the refresh they heard of, then refresh themselves', async () => {
    const [a, b] = await signedInTabs(env.browser, 2, { requestTimeout: 2_000 })
    env.browser.bus.drop = (message) => (message as { type?: string }).type === 'grant'
    env.server.refreshDelayMs = 100
    a!.client.invalidateAccessToken()
    b!.client.invalidateAccessToken()
    const before = env.server.refreshCount()
    const startedAt = Date.now()
    const tokenA = a!.client.getAccessToken()
    await drain()
    // b heard "refreshing" from a, so it waits for the grant that never comes…
    const tokenB = b!.client.getAccessToken()
    expect(await run(tokenA)).toEqual(expect.any(String))
    expect(env.server.refreshCount() - before).toBe(1)
    // …until a's refresh is presumed dead: requestTimeout + 1 s after it was announced.
    expect(await run(tokenB)).toEqual(expect.any(String))
    expect(Date.now() - startedAt).toBe(3_100)
    expect(env.server.refreshCount() - before).toBe(2)
    expect(env.server.events.filter((e) => e.type === 'reuse_detected')).toHaveLength(0)
  })

  it('ignores what is not a Baton tab message, and keeps working', async () => {
    const [a] = await signedInTabs(env.browser, 1)
    const stranger = env.browser.bus.open(`${env.browser.channel}:${TAB_PROTOCOL_VERSION}`)
    const state = a!.client.store.getState()
    for (const junk of [
      null,
      'hello',
      { type: 'grant', grant: null },
      { type: 'grant', grant: { accessToken: 'x', user: { id: 'u-mallory' } } },
      { type: 'ended', sessionId: state.sessionId, reason: 'because' },
      { type: 'ended', sessionId: 42, reason: 'logged_out' },
      { type: 'refreshing' },
      { type: 'toString' },
      { type: 'signed-in' },
    ]) {
      stranger.post(junk)
    }
    await drain()
    expect(a!.client.store.getState()).toBe(state)
    expect(a!.events.filter((e) => e.type === 'refresh_start' && e.source === 'peer')).toEqual([])
    await expect(run(a!.client.getAccessToken())).resolves.toEqual(expect.any(String))
  })

  it('a tab of another protocol version is not heard', async () => {
    const [a] = await signedInTabs(env.browser, 1)
    const old = env.browser.bus.open(`${env.browser.channel}:v1`)
    old.post({ type: 'ended', sessionId: null, reason: 'logged_out' })
    await drain()
    expect(a!.client.store.getState().status).toBe('authenticated')
  })
})

describe('the wake adapter', () => {
  it('is unsubscribed by destroy()', async () => {
    const stop = vi.fn()
    const tab = env.browser.open({ adapters: { wake: () => stop } })
    await run(tab.client.start())
    expect(stop).not.toHaveBeenCalled()
    tab.client.destroy()
    expect(stop).toHaveBeenCalledTimes(1)
  })
})

describe('the clock adapter', () => {
  it('is the one the token arithmetic reads', async () => {
    let skew = 0
    const tab = env.browser.open({ adapters: { now: () => Date.now() + skew } })
    await run(tab.client.start())
    await run(tab.client.login({ username: 'alice', password: 'alice-pw' }))
    // Expiry is computed from expiresIn on this clock, immune to the server's.
    expect(tab.client.store.getState().expiresAt).toBe(Date.now() + 30_000)
    const before = env.server.refreshCount()
    skew = 29_500 // this clock says the token is about to expire
    await run(tab.client.getAccessToken())
    expect(env.server.refreshCount()).toBe(before + 1)
  })
})
