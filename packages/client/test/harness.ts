/**
 * What every client test file uses: a fresh BFF (`bff.ts`) and browser (`browser.ts`) per test,
 * a fake clock from {@link T0} (`clock.ts`), and signed-in tabs. Time is fake for the BFF and the
 * clients alike (Date included) and only moves when the test moves it.
 */
import type { BffOptions } from '@baton/bff'
import type { SessionClientOptions } from '@baton/client'
import { afterEach, beforeEach, vi } from 'vitest'
import { startServer, type TestServer } from './bff.js'
import { Browser, type Tab } from './browser.js'
import { run, trackWork } from './clock.js'

export { ORIGIN, type TestServer } from './bff.js'
export { Browser, type Tab } from './browser.js'
export { advance, drain, run, settled, waitFor } from './clock.js'

/**
 * WebCrypto calls in flight, in this process (the clients' DPoP keys and proofs, the BFF's
 * verification): real work, which fake time must not jump over (`clock.ts`).
 */
let cryptoInFlight = 0
const subtle = globalThis.crypto.subtle as unknown as Record<
  string,
  (...args: unknown[]) => Promise<unknown>
>
for (const method of ['generateKey', 'sign', 'verify', 'digest', 'exportKey', 'importKey']) {
  const original = subtle[method]!.bind(globalThis.crypto.subtle)
  Object.defineProperty(subtle, method, {
    configurable: true,
    value: (...args: unknown[]) => {
      cryptoInFlight++
      return original(...args).finally(() => cryptoInFlight--)
    },
  })
}
trackWork(() => cryptoInFlight > 0)

/** A JWT's header (`0`) or claims (`1`), decoded without a check (a proof or token a test saw). */
export const jwtPart = (jwt: string, index: 0 | 1): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split('.')[index]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >

/** The fake clock's start (any fixed instant: tests never depend on the real date). */
export const T0 = Date.UTC(2026, 10, 2, 9, 0, 0)

/** A fresh BFF and browser, and a fake clock at {@link T0}, for every test of the calling file. */
export function useBrowser(): {
  server: TestServer
  browser: Browser
  /** Another browser (a second device) on the same BFF. */
  newBrowser(): Browser
  /** Replaces this test's server (and browser) with one built with `options`. */
  restart(options: Partial<BffOptions>): void
} {
  let browsers: Browser[] = []
  let untrack: Array<() => void> = []
  const serve = (options?: Partial<BffOptions>) => {
    const server = startServer(options)
    untrack.push(trackWork(() => server.busy()))
    return server
  }
  const handle = {
    server: null as unknown as TestServer,
    browser: null as unknown as Browser,
    newBrowser() {
      const browser = new Browser(handle.server)
      browsers.push(browser)
      untrack.push(trackWork(() => browser.busy()))
      return browser
    },
    restart(options: Partial<BffOptions>) {
      for (const browser of browsers) browser.destroy()
      handle.server = serve(options)
      handle.browser = handle.newBrowser()
    },
  }
  beforeEach(() => {
    vi.useFakeTimers({
      now: T0,
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    })
    handle.server = serve()
    handle.browser = handle.newBrowser()
  })
  afterEach(() => {
    for (const browser of browsers) browser.destroy()
    for (const stop of untrack) stop()
    browsers = []
    untrack = []
    vi.useRealTimers()
    vi.unstubAllGlobals()
  })
  return handle
}

/**
 * Opens `count` started tabs in `browser`, the first of which signs in as alice. `tabOptions` as
 * for `browser.open` (`{ document: true }` for tabs that read the companion cookie, as pages do).
 */
export async function signedInTabs(
  browser: Browser,
  count: number,
  options: SessionClientOptions = {},
  tabOptions: Parameters<Browser['open']>[1] = {},
): Promise<Tab[]> {
  const tabs: Tab[] = []
  for (let i = 0; i < count; i++) {
    const tab = browser.open(options, tabOptions)
    await run(tab.client.start())
    if (i === 0) await run(tab.client.login({ username: 'alice', password: 'alice-pw' }))
    tabs.push(tab)
  }
  return tabs
}

/**
 * A `fetch` over `browser`'s that, once armed, aborts `controller` as soon as a 401 arrives: the
 * caller giving up while the refused answer is handled.
 */
export function abortingOn401(browser: Browser) {
  const controller = new AbortController()
  let armed = false
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const response = await browser.fetch(input, init)
    if (armed && response.status === 401) controller.abort(new Error('gone'))
    return response
  }
  return { signal: controller.signal, fetch, arm: () => void (armed = true) }
}

/** A `fetch` over `browser`'s that holds the answers of `path` until `release()`. */
export function holding(browser: Browser, path: string) {
  let release = () => {}
  const held = new Promise<void>((resolve) => (release = resolve))
  const transport: typeof fetch = async (input, init) => {
    const response = await browser.fetch(input, init)
    const url = input instanceof Request ? input.url : String(input)
    if (url.endsWith(path)) await held
    return response
  }
  return { transport, release: () => release() }
}
