/**
 * Tab messages are untrusted (issue 12, L3): any script of the origin can post on the tabs'
 * channel. A forged grant does not switch the account, a forged `ended` does not sign anyone out
 * while the BFF still grants the session, a stream of `refreshing` does not stall requests until
 * their timeout, and garbage is ignored. Two apps with different BFFs share no channel or lock.
 */
import { createSessionClient, type LockAdapter, type SessionClientOptions } from '@baton/client'
import { TAB_PROTOCOL_VERSION, type BaseUser, type TabGrant } from '@baton/protocol'
import { describe, expect, it, vi } from 'vitest'
import { advance, drain, ORIGIN, run, signedInTabs, type Tab, useBrowser } from './harness'

const env = useBrowser()

/** A script of the origin, posting on the tabs' channel with `new BroadcastChannel(…)`. */
const intruder = () => env.browser.bus.open(`${env.browser.channel}:${TAB_PROTOCOL_VERSION}`)
const user = (tab: Tab) => tab.client.store.getState().user?.id
const status = (tab: Tab) => tab.client.store.getState().status

/** Bob, signed in on another device: a real token of another account, and its grant. */
async function bobsGrant(): Promise<TabGrant<BaseUser>> {
  const phone = env.newBrowser().open()
  await run(phone.client.start())
  await run(phone.client.login({ username: 'bob', password: 'bob-pw' }))
  const { sessionId, user: bob } = phone.client.store.getState()
  const now = Date.now()
  return {
    accessToken: await phone.client.getAccessToken(),
    expiresAt: now + 30_000,
    lifetime: 30_000,
    issuedAt: now,
    user: bob!,
    sessionId: sessionId!,
  }
}

describe('a forged grant', () => {
  it('of another account does not switch the tabs: the BFF is asked once, and it says Alice', async () => {
    const tabs = await signedInTabs(env.browser, 3)
    const grant = await bobsGrant()
    const before = env.server.refreshCount()
    intruder().post({ type: 'grant', grant })
    await drain()
    await advance(1_000)
    expect(tabs.map(user)).toEqual(['u-alice', 'u-alice', 'u-alice'])
    // One refresh for all three tabs (the lock, then the fresher token), answered for Alice.
    expect(env.server.refreshCount() - before).toBe(1)
    await run(tabs[1]!.api.get('me').json())
    const [call] = env.server.apiCalls
    expect(call!.token).not.toBe(grant.accessToken)
    expect(await run(tabs[2]!.api.get('me').json())).toMatchObject({ id: 'u-alice' })
  })

  it('to a signed-out tab is still checked against its token', async () => {
    const tab = env.browser.open()
    await run(tab.client.start())
    const grant = await bobsGrant()
    const post = intruder()
    // Its token names another session, or it claims a longer life than its token has.
    post.post({ type: 'grant', grant: { ...grant, sessionId: 'someone-else' } })
    post.post({ type: 'grant', grant: { ...grant, expiresAt: grant.issuedAt + 86_400_000 } })
    post.post({ type: 'grant', grant: { ...grant, issuedAt: Date.now() + 86_400_000 } })
    post.post({ type: 'grant', grant: { ...grant, accessToken: 'not.a.jwt' } })
    await drain()
    expect(status(tab)).toBe('unauthenticated')
  })

  it('cannot pin an old token with an issue date in the future', async () => {
    const [a, b] = await signedInTabs(env.browser, 2)
    const old = await b!.client.getAccessToken()
    const { sessionId, user: alice } = b!.client.store.getState()
    a!.client.invalidateAccessToken()
    await run(a!.client.getAccessToken())
    await drain()
    // A real token of the session, still valid, but claiming to be the newest for a day: every
    // later grant would look stale next to it.
    const now = Date.now()
    intruder().post({
      type: 'grant',
      grant: {
        accessToken: old,
        expiresAt: now + 86_400_000,
        lifetime: 86_400_000,
        issuedAt: now + 86_400_000,
        user: alice,
        sessionId,
      },
    })
    await drain()
    a!.client.invalidateAccessToken()
    const fresh = await run(a!.client.getAccessToken())
    await drain()
    expect(await b!.client.getAccessToken()).toBe(fresh)
  })

  it('a real sign-in as another user in another tab switches the tabs after one check', async () => {
    const [a, b] = await signedInTabs(env.browser, 2)
    const before = env.server.refreshCount()
    await run(a!.client.login({ username: 'bob', password: 'bob-pw' }))
    await drain()
    await advance(1_000)
    expect([a!, b!].map(user)).toEqual(['u-bob', 'u-bob'])
    expect(env.server.refreshCount() - before).toBe(1)
    expect(await b!.client.getAccessToken()).toBe(await a!.client.getAccessToken())
  })
})

describe('a forged ended', () => {
  it('does not sign out pages whose session the BFF still grants (one refresh checks)', async () => {
    const tabs = await signedInTabs(env.browser, 3, {}, { document: true })
    const sessionId = tabs[0]!.client.store.getState().sessionId
    const before = env.server.refreshCount()
    intruder().post({ type: 'ended', sessionId, reason: 'session_revoked' })
    await drain()
    await advance(1_000)
    expect(tabs.map(status)).toEqual(['authenticated', 'authenticated', 'authenticated'])
    expect(env.server.refreshCount() - before).toBe(1)
    for (const tab of tabs) expect(tab.events.some((e) => e.type === 'signed_out')).toBe(false)
  })

  it('does not sign out tabs that cannot read cookies either', async () => {
    const [tab] = await signedInTabs(env.browser, 1)
    intruder().post({ type: 'ended', sessionId: null, reason: 'logged_out' })
    intruder().post({
      type: 'ended',
      sessionId: tab!.client.store.getState().sessionId,
      reason: 'logged_out',
    })
    await drain()
    await advance(1_000)
    expect(status(tab!)).toBe('authenticated')
  })

  it('does not abort a starting tab', async () => {
    await signedInTabs(env.browser, 1, {}, { document: true })
    env.browser.destroy()
    const tab = env.browser.open({}, { document: true })
    const starting = tab.client.start()
    intruder().post({ type: 'ended', sessionId: null, reason: 'logged_out' })
    await run(starting)
    expect(status(tab)).toBe('authenticated')
  })

  it('a real end still reaches every tab: the companion cookie is gone', async () => {
    const tabs = await signedInTabs(env.browser, 2, {}, { document: true })
    await env.server.store.revoke(
      tabs[0]!.client.store.getState().sessionId!,
      'revoked',
      Date.now(),
    )
    tabs[0]!.client.invalidateAccessToken()
    const before = env.server.refreshCount()
    await expect(run(tabs[0]!.client.getAccessToken())).rejects.toMatchObject({
      reason: 'session_revoked',
    })
    await drain()
    expect(tabs.map(status)).toEqual(['unauthenticated', 'unauthenticated'])
    expect(tabs[1]!.client.store.getState().error).toMatchObject({ reason: 'session_revoked' })
    expect(env.server.refreshCount() - before).toBe(1)
  })
})

/**
 * A script posting a new `refreshing` every `everyMs`, each "answered" at the next (after the
 * first, posted at once): the channel always has one refresh in flight. Returns its stop.
 */
async function refreshingStream(everyMs: number) {
  const post = intruder()
  let n = 0
  const flood = setInterval(() => {
    post.post({ type: 'refreshing', refreshId: `forged-${++n}` })
    post.post({ type: 'refresh_failed', refreshId: `forged-${n - 1}` })
  }, everyMs)
  post.post({ type: 'refreshing', refreshId: 'forged-0' })
  await drain()
  return () => clearInterval(flood)
}

describe('a stream of forged refreshing announcements', () => {
  it('delays a request by at most 3 s, then not at all', async () => {
    // Waiting for a peer only spares a 401: 3 s at most, well within ky's 10 s timeout.
    const [tab] = await signedInTabs(env.browser, 1)
    const stop = await refreshingStream(1_000)
    try {
      const startedAt = Date.now()
      await expect(run(tab!.api.get('me').json())).resolves.toMatchObject({ id: 'u-alice' })
      expect(Date.now() - startedAt).toBeLessThanOrEqual(3_000)
      // From then on, requests go out at once, and the token is still refreshed on time.
      for (let i = 0; i < 5; i++) {
        const at = Date.now()
        await run(tab!.api.get('me').json())
        expect(Date.now()).toBe(at)
        await advance(10_000)
      }
      expect(tab!.client.store.getState().expiresAt).toBeGreaterThan(Date.now())
    } finally {
      stop()
    }
  })

  it('a refresh under the lock waits only for the announcements it knew of when it got the lock', async () => {
    // It gives a peer's refresh a moment to report (its grant may reach this tab after the lock);
    // the stream's later announcements are none it queued behind.
    const [tab] = await signedInTabs(env.browser, 1)
    const stop = await refreshingStream(300)
    try {
      const before = env.server.refreshCount()
      tab!.client.invalidateAccessToken()
      const startedAt = Date.now()
      await expect(run(tab!.client.getAccessToken())).resolves.toEqual(expect.any(String))
      expect(env.server.refreshCount() - before).toBe(1)
      // 3 s of trust in the stream, then at most the one interval its last announcement lives.
      expect(Date.now() - startedAt).toBeLessThanOrEqual(3_300)
    } finally {
      stop()
    }
  })

  it('logging_out announcements likewise', async () => {
    const [tab] = await signedInTabs(env.browser, 1)
    const post = intruder()
    let n = 0
    const flood = setInterval(
      () => post.post({ type: 'logging_out', refreshId: `forged-${++n}` }),
      500,
    )
    try {
      post.post({ type: 'logging_out', refreshId: 'forged-0' })
      await drain()
      const startedAt = Date.now()
      await expect(run(tab!.api.get('me').json())).resolves.toMatchObject({ id: 'u-alice' })
      expect(Date.now() - startedAt).toBeLessThanOrEqual(3_000)
    } finally {
      clearInterval(flood)
    }
  })
})

describe('a forged refreshing announcement', () => {
  it('at the moment of the proactive refresh delays it by the peer deadline, not for good', async () => {
    const [tab] = await signedInTabs(env.browser, 1)
    const expiresAt = tab!.client.store.getState().expiresAt!
    const before = env.server.refreshCount()
    // Just before the timer (15 s of margin, less up to 1 s of jitter).
    await advance(expiresAt - 15_000 - 1_500 - Date.now())
    const forgedAt = Date.now()
    intruder().post({ type: 'refreshing', refreshId: 'forged-1' })
    await drain()
    await advance(expiresAt - Date.now())
    // No grant came to re-arm the timer: it looked again once the announcement was no longer
    // believed (3 s), and gave it the second under the lock any unreported refresh gets.
    expect(env.server.refreshTimes.slice(before).map((t) => t - forgedAt)).toEqual([4_000])
    expect(tab!.client.store.getState().expiresAt).toBe(forgedAt + 4_000 + 30_000)
  })
})

describe('garbage on the channel', () => {
  it('is ignored, never thrown', async () => {
    const tabs = await signedInTabs(env.browser, 2)
    const post = intruder()
    for (const message of [
      null,
      'ended',
      42,
      [],
      { type: 'grant', grant: null },
      { type: 'grant', grant: { accessToken: 7 } },
      { type: 'ended' },
      { type: 'ended', sessionId: {}, reason: 'logged_out' },
      { type: 'refreshing', refreshId: { id: 1 } },
      { type: 'hello', __proto__: { type: 'ended' } },
      { type: '__proto__' },
    ]) {
      post.post(message)
    }
    await drain()
    expect(tabs.map(status)).toEqual(['authenticated', 'authenticated'])
    await expect(run(tabs[1]!.api.get('me').json())).resolves.toMatchObject({ id: 'u-alice' })
  })

  it('a grant whose user is cyclic (structured clone carries it) is ignored, never thrown', async () => {
    let listener: ((message: unknown) => void) | null = null
    const channel: SessionClientOptions['adapters'] = {
      channel: (name) => {
        const opened = env.browser.bus.open(name)
        return { ...opened, subscribe: (l) => opened.subscribe((listener = l)) }
      },
    }
    const [tab] = await signedInTabs(env.browser, 1, { adapters: channel })
    const state = tab!.client.store.getState()
    const token = await run(tab!.client.getAccessToken())
    const now = Date.now()
    const iat = Math.floor(now / 1000)
    const cyclic: Record<string, unknown> = { id: 'u-alice', name: 'Alice' }
    cyclic.self = cyclic
    const grant = {
      // Consistent with itself (`isPlausibleGrant`): only the user is wrong.
      accessToken: ['{"alg":"ES256"}', JSON.stringify({ sid: state.sessionId, iat, exp: iat + 30 })]
        .map((part) => Buffer.from(part).toString('base64url'))
        .concat('signature')
        .join('.'),
      expiresAt: now + 20_000,
      lifetime: 20_000,
      issuedAt: now,
      user: cyclic,
      sessionId: state.sessionId,
    }
    expect(() => listener!(structuredClone({ type: 'grant', grant }))).not.toThrow()
    expect(tab!.client.store.getState()).toBe(state)
    expect(await run(tab!.client.getAccessToken())).toBe(token)
  })
})

describe('channel and lock names', () => {
  it('follow the BFF: two apps on one origin with different baseUrls share neither', async () => {
    vi.stubGlobal('location', {
      href: 'https://app.example/notes/1',
      origin: 'https://app.example',
    })
    const channels: string[] = []
    const locks: string[] = []
    const lock: LockAdapter = (name, _timeout, fn) => (locks.push(name), fn())
    const open = (baseUrl?: string) =>
      createSessionClient({
        ...(baseUrl === undefined ? {} : { baseUrl }),
        fetch: () => Promise.resolve(new Response(null, { status: 204 })),
        logger: { debug() {} },
        adapters: {
          lock,
          channel: (name) => (channels.push(name), null),
          cookies: () => '',
          storage: null,
          wake: () => () => {},
        },
      })
    for (const baseUrl of [undefined, '/billing/auth', 'https://sso.example/auth/']) {
      const client = open(baseUrl)
      await client.start()
      await client.logout().catch(() => {})
      client.destroy()
    }
    expect(channels).toEqual([
      `baton:https://app.example/auth:${TAB_PROTOCOL_VERSION}`,
      `baton:https://app.example/billing/auth:${TAB_PROTOCOL_VERSION}`,
      `baton:https://sso.example/auth:${TAB_PROTOCOL_VERSION}`,
    ])
    expect(locks).toEqual([
      'baton:https://app.example/auth:refresh',
      'baton:https://app.example/billing/auth:refresh',
      'baton:https://sso.example/auth:refresh',
    ])
    // An explicit name wins.
    const named = createSessionClient({
      channel: 'shop',
      adapters: {
        channel: (name) => (channels.push(name), null),
        cookies: () => '',
        wake: () => () => {},
      },
      logger: { debug() {} },
    })
    await named.start()
    await advance(1) // an anonymous tab opens its channel a task after its status
    named.destroy()
    expect(channels.at(-1)).toBe(`shop:${TAB_PROTOCOL_VERSION}`)
    expect(ORIGIN).toBe('http://app.test')
  })
})
