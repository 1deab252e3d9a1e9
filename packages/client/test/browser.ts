/**
 * "Browsers": a cookie jar, an Origin, a message bus and a lock manager shared by their tabs,
 * which are session clients in this process wired to them through `adapters`.
 */
import {
  createSessionClient,
  type ChannelAdapter,
  type ClientEvent,
  type LockAdapter,
  type SessionClient,
  type SessionClientOptions,
} from '@baton/client'
import { createKy, type KyOptions } from '@baton/client/ky'
import type { KyInstance } from 'ky'
import { processLock } from '../src/adapters/lock.js'
import { ORIGIN, type TestServer } from './bff.js'
import { realTurn } from './clock.js'

interface StoredCookie {
  value: string
  path: string
  httpOnly: boolean
  /** Epoch ms (fake clock), or null for a session cookie. */
  expiresAt: number | null
}

const pathMatches = (requestPath: string, cookiePath: string) =>
  requestPath === cookiePath ||
  requestPath.startsWith(cookiePath.endsWith('/') ? cookiePath : `${cookiePath}/`)

/** The tabs' message bus of one browser: BroadcastChannel semantics (a copy, a later task, never to the sender). */
class Bus {
  private readonly endpoints = new Set<{ name: string; deliver: (message: unknown) => void }>()
  /** Messages posted but not delivered yet. */
  pending = 0
  /** When set, a message it returns true for is lost (never delivered). */
  drop: ((message: unknown) => boolean) | null = null

  open(name: string): ChannelAdapter {
    const listeners = new Set<(message: unknown) => void>()
    const endpoint = { name, deliver: (message: unknown) => listeners.forEach((l) => l(message)) }
    this.endpoints.add(endpoint)
    return {
      post: (message) => {
        if (this.drop?.(message)) return
        for (const other of this.endpoints) {
          if (other === endpoint || other.name !== name) continue
          const copy = structuredClone(message)
          this.pending++
          setImmediate(() => {
            this.pending--
            if (this.endpoints.has(other)) other.deliver(copy)
          })
        }
      },
      subscribe(listener) {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
      close: () => {
        listeners.clear()
        this.endpoints.delete(endpoint)
      },
    }
  }
}

/**
 * The lock manager of one browser: the exclusive locks of `processLock` (its names carry the
 * browser's channel, so browsers never share one) and the shared locks tabs hold for their
 * lifetime, both visible to `query`, as `navigator.locks.query()` shows them.
 */
class Locks {
  /** Holders of each shared lock, by name. */
  readonly held = new Map<string, number>()
  /** Exclusive locks held or waited for, by name. */
  private readonly exclusive = new Map<string, number>()
  /** Every `query()` made (a tab that needs no answer from it makes none). */
  queries = 0

  /** With `hold` and `query` (a browser with Web Locks), or bare (one that cannot query). */
  adapter(queryable: boolean): LockAdapter {
    const lock: LockAdapter = async (name, timeoutMs, fn) => {
      this.exclusive.set(name, (this.exclusive.get(name) ?? 0) + 1)
      try {
        return await processLock(name, timeoutMs, fn)
      } finally {
        const left = this.exclusive.get(name)! - 1
        if (left === 0) this.exclusive.delete(name)
        else this.exclusive.set(name, left)
      }
    }
    if (!queryable) return lock
    lock.hold = (name) => {
      this.held.set(name, (this.held.get(name) ?? 0) + 1)
      let released = false
      return () => {
        if (released) return
        released = true
        const left = this.held.get(name)! - 1
        if (left === 0) this.held.delete(name)
        else this.held.set(name, left)
      }
    }
    lock.query = () => {
      this.queries++
      const names = [...this.held, ...this.exclusive].flatMap(([name, n]) =>
        Array.from({ length: n }, () => name),
      )
      return Promise.resolve(names)
    }
    return lock
  }
}

let browsers = 0

/** One browser: a cookie jar, an Origin, a message bus and a lock manager for its tabs. */
export class Browser {
  readonly channel = `baton-test-${++browsers}`
  readonly cookies = new Map<string, StoredCookie>()
  readonly bus = new Bus()
  readonly locks = new Locks()
  /** This browser's localStorage, shared by its tabs (the pending sign-out lives there). */
  readonly storage = new Map<string, string>()
  /**
   * This browser's IndexedDB as the device keys see it (DPoP): one `CryptoKeyPair` per store name,
   * shared by its tabs and kept across reloads (a new tab); `clear()` it as "clear site data" would.
   */
  readonly deviceKeys = new Map<string, CryptoKeyPair>()
  /** While set, /auth/refresh fails like a dropped connection. */
  offline = false
  /** While set, /auth/logout fails like a dropped connection (the BFF never sees it). */
  logoutOffline = false
  readonly tabs: Tab[] = []

  constructor(readonly server: TestServer) {}

  /** Requests between the tab and the BFF: one task each way, as a real network takes. */
  private transit = 0

  readonly fetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    const headers = new Headers(request.headers)
    // What a browser adds by itself on a same-origin fetch.
    headers.set('origin', ORIGIN)
    this.transit++
    // Not counted while the server answers: an abort then must not take it off a second time.
    let counted = true
    try {
      await realTurn()
      if (this.offline && url.pathname.startsWith('/auth/refresh'))
        throw new TypeError('fetch failed')
      if (this.logoutOffline && url.pathname.startsWith('/auth/logout'))
        throw new TypeError('fetch failed')
      const cookie = [...this.live()]
        .filter(([, c]) => pathMatches(url.pathname, c.path))
        .map(([name, c]) => `${name}=${c.value}`)
        .join('; ')
      if (cookie) headers.set('cookie', cookie)
      const answer = Promise.resolve(this.server.app.request(new Request(request, { headers })))
      this.transit--
      counted = false
      const response = await new Promise<Response>((resolve, reject) => {
        // Like fetch: an abort rejects at once, whatever the server is still doing.
        const onAbort = () => reject(request.signal.reason as Error)
        if (request.signal.aborted) return onAbort()
        request.signal.addEventListener('abort', onAbort, { once: true })
        void answer.then(resolve, reject)
      })
      this.transit++
      counted = true
      for (const line of response.headers.getSetCookie()) this.storeCookie(line)
      await realTurn()
      return response
    } finally {
      if (counted) this.transit--
    }
  }

  /** What `document.cookie` shows to a page at `/`: the cookies scripts may read. */
  documentCookie(): string {
    return [...this.live()]
      .filter(([, c]) => !c.httpOnly && pathMatches('/', c.path))
      .map(([name, c]) => `${name}=${c.value}`)
      .join('; ')
  }

  private *live() {
    for (const [name, cookie] of this.cookies) {
      if (cookie.expiresAt !== null && cookie.expiresAt <= Date.now()) this.cookies.delete(name)
      else yield [name, cookie] as const
    }
  }

  private storeCookie(line: string) {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim())
    const eq = pair!.indexOf('=')
    const name = pair!.slice(0, eq)
    const value = pair!.slice(eq + 1)
    const attr = new Map(
      attributes.map((a) => [a.split('=')[0]!.toLowerCase(), a.split('=')[1] ?? '']),
    )
    const maxAge = attr.has('max-age') ? Number(attr.get('max-age')) : null
    if (maxAge !== null && maxAge <= 0) this.cookies.delete(name)
    else {
      this.cookies.set(name, {
        value,
        path: attr.get('path') ?? '/',
        httpOnly: attr.has('httponly'),
        expiresAt: maxAge === null ? null : Date.now() + maxAge * 1000,
      })
    }
  }

  /**
   * Opens a tab: a session client sharing this browser's cookies, channel and lock, with a wake-up
   * source the test fires (`tab.wake()`), and `tab.api`, a ky instance for `/api` on it. By
   * default the tab has no `document` (cookies unknown, as in Node): `document: true` gives it
   * this browser's `document.cookie`. `lockQuery: false` gives it a lock without `hold` and
   * `query` (a browser that cannot tell whether other tabs hold a session). `defaults` leaves
   * those adapters to the client's defaults. `dpop: true` gives it this browser's
   * `deviceKeys` (a browser that binds its sessions); by default it has none, as a browser
   * without IndexedDB or WebCrypto.
   */
  open(
    options: SessionClientOptions = {},
    tabOptions: {
      document?: boolean
      lockQuery?: boolean
      defaults?: ReadonlyArray<'lock' | 'channel' | 'cookies' | 'storage'>
      api?: KyOptions
      dpop?: boolean
    } = {},
  ): Tab {
    const events: ClientEvent[] = []
    const wakeListeners = new Set<() => void>()
    const injected: NonNullable<SessionClientOptions['adapters']> = {
      lock: this.locks.adapter(tabOptions.lockQuery !== false),
      channel: (name) => this.bus.open(name),
      wake: (onWake) => {
        wakeListeners.add(onWake)
        return () => wakeListeners.delete(onWake)
      },
      cookies: tabOptions.document ? () => this.documentCookie() : () => null,
      storage: this.storageAdapter(),
      dpopKeys: tabOptions.dpop
        ? (name) => ({
            load: () => Promise.resolve(this.deviceKeys.get(name) ?? null),
            save: (pair) => Promise.resolve(void this.deviceKeys.set(name, pair)),
          })
        : null,
    }
    for (const name of tabOptions.defaults ?? []) delete injected[name]
    const client = createSessionClient({
      baseUrl: `${ORIGIN}/auth`,
      channel: this.channel,
      fetch: this.fetch,
      logger: { debug() {} },
      retry: { initial: 100, max: 400 },
      onEvent: (event) => void events.push(event),
      ...options,
      adapters: { ...injected, ...options.adapters },
    })
    const tab: Tab = {
      client,
      api: createKy(client, { prefixUrl: `${ORIGIN}/api`, retry: 0, ...tabOptions.api }),
      events,
      wake: () => wakeListeners.forEach((wake) => wake()),
    }
    this.tabs.push(tab)
    return tab
  }

  /**
   * This browser's localStorage as a tab sees it, with `length` and `key()` as localStorage has
   * them (the presence marker lists its tabs' keys).
   */
  private storageAdapter() {
    const storage = this.storage
    return {
      getItem: (key: string) => storage.get(key) ?? null,
      setItem: (key: string, value: string) => void storage.set(key, String(value)),
      removeItem: (key: string) => void storage.delete(key),
      key: (index: number) => [...storage.keys()][index] ?? null,
      get length() {
        return storage.size
      },
    }
  }

  /** True while a message between its tabs is on its way. */
  busy(): boolean {
    return this.bus.pending > 0 || this.transit > 0
  }

  destroy() {
    for (const tab of this.tabs) tab.client.destroy()
  }
}

export interface Tab {
  client: SessionClient
  /** ky on `client.fetch`, prefixed with the test API's URL, without ky's own retries. */
  api: KyInstance
  events: ClientEvent[]
  /** Fires the tab's wake-up source (a visibilitychange, online, focus…). */
  wake(): void
}
