/**
 * `createSessionClient()` options through the public API: the default channel named after
 * `baseUrl` (one name for every page of the app), and the options refused with a `TypeError`
 * (a relative `baseUrl`, a zero time limit or retry backoff).
 */
import { createSessionClient, type SessionClient, type SessionClientOptions } from '@baton/client'
import { afterEach, describe, expect, it, vi } from 'vitest'

const clients: SessionClient[] = []
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy()
  vi.unstubAllGlobals()
})

/** The channel names a client started on each of `pages` asks its adapter for. */
function channelNames(baseUrl: string, pages: readonly string[]): string[] {
  const names: string[] = []
  for (const page of pages) {
    vi.stubGlobal('location', { href: page, origin: new URL(page).origin })
    const client = createSessionClient({
      baseUrl,
      // Unanswered until destroy() aborts it: the in-process refresh lock is then free again.
      fetch: (_, init) =>
        new Promise<Response>((_, reject) =>
          init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
        ),
      logger: { debug() {} },
      adapters: {
        channel: (name) => (names.push(name), null),
        cookies: () => 'baton_session=abcdefghijkl',
        storage: null,
        dpopKeys: null,
        wake: () => () => {},
      },
    })
    clients.push(client)
    void client.start().catch(() => {})
  }
  return names
}

const PAGES = ['https://app.example/orders/7?tab=2', 'https://app.example/settings']

describe('the default channel', () => {
  it('with a BFF at the root (baseUrl "/"), is one name for every page: "baton:" and the origin', () => {
    // Two tabs of one app on two pages must share the channel (and so the refresh lock and the
    // device key's IndexedDB database, both named after it): it used to be named after the page.
    const names = channelNames('/', PAGES)
    expect(names).toEqual(['baton:https://app.example/:v2', 'baton:https://app.example/:v2'])
  })

  it('keeps the names of a path and of an absolute URL as they were (tabs stay together across a deploy)', () => {
    expect(channelNames('/auth', PAGES)).toEqual([
      'baton:https://app.example/auth:v2',
      'baton:https://app.example/auth:v2',
    ])
    expect(channelNames('/api/auth/', PAGES.slice(0, 1))).toEqual([
      'baton:https://app.example/api/auth:v2',
    ])
    expect(channelNames('https://bff.example/auth', PAGES.slice(0, 1))).toEqual([
      'baton:https://bff.example/auth:v2',
    ])
  })
})

describe('options refused with a TypeError naming them', () => {
  it.each<[string, SessionClientOptions, RegExp]>([
    ['a relative baseUrl', { baseUrl: 'auth' }, /baseUrl must be absolute or start with "\/"/],
    ['a relative baseUrl with dots', { baseUrl: './auth' }, /baseUrl/],
    ['a zero requestTimeout', { requestTimeout: 0 }, /requestTimeout must be positive, got 0/],
    ['a zero retry.max', { retry: { max: '0s' } }, /retry\.max must be positive/],
  ])('%s', (_, options, message) => {
    vi.stubGlobal('location', { href: PAGES[0], origin: 'https://app.example' })
    expect(() => createSessionClient(options)).toThrow(TypeError)
    expect(() => createSessionClient(options)).toThrow(message)
  })
})

describe('retry options', () => {
  it('a zero backoff is refused or floored: a dead BFF is not hammered', async () => {
    let refreshes = 0
    let client: SessionClient
    try {
      client = createSessionClient({
        baseUrl: 'https://app.example/auth',
        retry: { initial: 0 },
        fetch: () => (refreshes++, Promise.reject(new TypeError('fetch failed'))),
        logger: { debug() {} },
        adapters: {
          cookies: () => 'baton_session=abcdefghijkl',
          storage: null,
          channel: () => null,
          dpopKeys: null,
          wake: () => () => {},
        },
      })
    } catch (error) {
      // Refusing it is one fix: with a TypeError naming the option, as for other bad options.
      expect(error).toBeInstanceOf(TypeError)
      expect(String(error)).toMatch(/retry\.initial/)
      return
    }
    clients.push(client)
    void client.start().catch(() => {})
    await new Promise((resolve) => setTimeout(resolve, 200))
    // README: "never sooner than half the step, so a dead BFF is not hammered". A zero backoff
    // used to make over 100 refreshes in 200 ms, one per event-loop turn.
    expect(refreshes).toBeLessThan(20)
  })
})
