/**
 * The happy-dom "browser" side of the React tests: the page is put on the BFF's origin, so the
 * client's relative `/auth` and `/api` URLs, its cookie and its BroadcastChannel behave as on a
 * real page. Each test client gets its own channel, so tabs of different tests never talk.
 */
import nodeConsole from 'node:console'
import { cleanup } from '@testing-library/react'
import {
  createSessionClient,
  type ClientEvent,
  type SessionClient,
  type SessionClientOptions,
} from '@baton/client'
import { afterEach, beforeAll, inject, vi } from 'vitest'
import { TEST_ID_HEADER } from './bff'

interface HappyDomWindow {
  happyDOM: { setURL(url: string): void }
}

// happy-dom reports failed requests on the console as a browser does; 401s are expected here.
const FAILED_REQUEST_LOG = /^(GET|POST|DELETE) http:\/\/127\.0\.0\.1:\d+\/\S* \d{3} \(/

/** Puts the page on the BFF's origin and unmounts what each test rendered. */
export function usePageOnBff() {
  beforeAll(() => {
    ;(window as unknown as HappyDomWindow).happyDOM.setURL(`${inject('bffOrigin')}/`)
    // It writes to the console it was created with: Node's own, not the one vitest installs.
    const error = nodeConsole.error.bind(nodeConsole)
    vi.spyOn(nodeConsole, 'error').mockImplementation((...args: unknown[]) => {
      if (typeof args[0] !== 'string' || !FAILED_REQUEST_LOG.test(args[0])) error(...args)
    })
  })
  afterEach(() => {
    cleanup()
  })
}

/**
 * The BFF's companion cookie (`SESSION_HINT_COOKIE` of `@baton/protocol`): scripts can read it,
 * and without it a client boots `unauthenticated` with no request at all.
 */
const SESSION_HINT_COOKIE = 'baton_session'

let tests = 0

/** One test's browser: its tabs share the page's cookie jar and one BroadcastChannel name. */
export class TestBrowser {
  readonly id = `t${process.pid}-${++tests}-${Math.random().toString(36).slice(2, 8)}`
  readonly clients: SessionClient[] = []
  readonly events: ClientEvent[][] = []

  /** What a browser adds by itself (`Origin`), plus the tag the test BFF counts refreshes by. */
  readonly fetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init)
    request.headers.set('origin', window.location.origin)
    request.headers.set(TEST_ID_HEADER, this.id)
    const response = await fetch(request)
    // happy-dom's streamed bodies break when ky clones them; hand ky a buffered copy instead.
    const body = await response.arrayBuffer()
    return new Response(body.byteLength === 0 ? null : body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    })
  }

  /** A new tab: a session client with relative URLs, like an app's. */
  open(options: SessionClientOptions = {}): SessionClient {
    const events: ClientEvent[] = []
    const client = createSessionClient({
      channel: `baton-${this.id}`,
      fetch: this.fetch,
      logger: { debug() {} },
      onEvent: (event) => void events.push(event),
      ...options,
    })
    this.clients.push(client)
    this.events.push(events)
    return client
  }

  /**
   * Leaves the companion cookie without a session behind it, as a session that ended while the
   * browser was closed does: the next boot cannot know and must ask the BFF (one refresh, 401).
   */
  staleSessionHint() {
    document.cookie = `${SESSION_HINT_COOKIE}=1; path=/`
  }

  /** POST /auth/refresh requests this browser's tabs made, as counted by the BFF. */
  async refreshes(): Promise<number> {
    const response = await fetch(`/__test/refreshes/${this.id}`)
    return ((await response.json()) as { count: number }).count
  }

  /** Signs out on the BFF (so the cookie jar is clean for the next test) and destroys the tabs. */
  async close() {
    // A fresh tab: the test may have destroyed the signed-in ones. Logout needs only the cookie.
    await this.open()
      .logout()
      .catch(() => {})
    for (const client of this.clients) client.destroy()
    // A stale hint is answered by a 401 that clears it; a test that never booted leaves it.
    document.cookie = `${SESSION_HINT_COOKIE}=; Max-Age=0; path=/`
  }
}
