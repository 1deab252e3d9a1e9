/**
 * Scenario 8 of issue #5: where the tokens live, as the browser sees it. The refresh token is a
 * cookie no script can read or replace and that only travels to `/auth`; the access token is in
 * memory only, never in any storage the page has.
 */
import type { Request } from '@playwright/test'
import { expect, sessionStatus, signIn, test } from '../fixtures.js'
import { REFRESH_COOKIE } from '../refresh-cookie.js'

/** The BFF's default absolute session lifetime, which the cookie's Max-Age follows. */
const SESSION_LIFETIME_S = 30 * 24 * 60 * 60

/** What the BFF's cookie must look like to the browser (README, "The HTTP contract"). */
const ATTRIBUTES = {
  domain: '127.0.0.1',
  path: '/auth',
  httpOnly: true,
  secure: true,
  sameSite: 'Strict',
} as const

const cookieHeader = async (request: Request) => (await request.allHeaders())['cookie']

// The cookie read at sign-in must still be the current one at the reload; a scheduled refresh of a
// 3 s token could rotate it in between, depending on the machine's speed.
test.use({ demoEnv: { BATON_ACCESS_TTL: '60s' } })

test('the refresh cookie is HttpOnly, Secure, SameSite=Strict, Path=/auth, and no token is stored in the page', async ({
  context,
  tabs,
  demo,
}) => {
  const [tab] = await tabs(1)
  const signInAt = Date.now() / 1000
  await signIn(tab)

  const cookies = await context.cookies()
  expect(cookies.map(({ name }) => name)).toEqual([REFRESH_COOKIE])
  const cookie = cookies[0]!
  expect(cookie).toMatchObject(ATTRIBUTES)
  // A persistent cookie that ends with the session (Max-Age = the 30-day absolute timeout).
  expect(Math.abs(cookie.expires - (signInAt + SESSION_LIFETIME_S))).toBeLessThan(5)

  // Script in the page can neither read it nor replace it.
  expect(await tab.evaluate(() => document.cookie)).toBe('')
  await tab.evaluate((name) => {
    document.cookie = `${name}=forged; path=/auth`
  }, REFRESH_COOKIE)
  expect(await context.cookies()).toEqual([cookie])

  // Nothing about the session is in any storage the page can reach, nor in the DOM.
  const stored = await tab.evaluate(async () => ({
    localStorage: Object.entries(localStorage),
    sessionStorage: Object.entries(sessionStorage),
    indexedDB: (await indexedDB.databases()).map(({ name }) => name),
    cacheStorage: await caches.keys(),
    html: document.documentElement.outerHTML,
  }))
  expect(stored).toMatchObject({
    localStorage: [],
    sessionStorage: [],
    indexedDB: [],
    cacheStorage: [],
  })
  // An access token is a JWT, and a JWT's header starts with "eyJ" ('{"' in base64url).
  expect(stored.html).not.toMatch(/eyJ[\w-]*\.eyJ/)
  expect(stored.html).not.toContain(cookie.value)

  // Path=/auth in practice: a reload sends the cookie to the refresh only, not to the page or
  // the API (Secure does not stop it on http://127.0.0.1, which Chromium treats as secure).
  const requests = {
    document: tab.waitForRequest((request) => request.isNavigationRequest()),
    refresh: tab.waitForRequest((request) => new URL(request.url()).pathname === '/auth/refresh'),
    api: tab.waitForRequest((request) => new URL(request.url()).pathname === '/api/notes'),
  }
  await tab.reload()
  await expect(sessionStatus(tab)).toHaveText('Signed in as Alice')
  expect(await cookieHeader(await requests.refresh)).toBe(`${REFRESH_COOKIE}=${cookie.value}`)
  expect(await cookieHeader(await requests.document)).toBeUndefined()
  expect(await cookieHeader(await requests.api)).toBeUndefined()
  // The refresh rotated it: the browser now holds a new value with the same attributes.
  const [rotated] = await context.cookies()
  expect(rotated?.value).not.toBe(cookie.value)
  expect(rotated).toMatchObject(ATTRIBUTES)
  expect(demo.eventsOf('refresh')).toEqual([expect.objectContaining({ duplicate: false })])
})
