/**
 * Scenario 8 of issue #5, with the cookies of issue 12 (M3): where the tokens live, as the browser
 * sees it. The refresh cookie is `__Host-baton_rt` on Path=/: no script can read, replace or
 * shadow it, and it travels with every same-origin request (SameSite=Strict keeps it off
 * cross-site ones). The companion `baton_session` (a tag of the sign-in) is the only cookie a script sees, and says
 * nothing secret. The access token is in memory only, never in any storage the page has.
 */
import { createHash } from 'node:crypto'
import type { Request } from '@playwright/test'
import { expect, sessionStatus, signIn, test } from '../fixtures.js'
import { REFRESH_COOKIE, SESSION_HINT_COOKIE } from '../refresh-cookie.js'

/** The BFF's default absolute session lifetime, which both cookies' Max-Age follow. */
const SESSION_LIFETIME_S = 30 * 24 * 60 * 60

/** The end of one tab's key in the presence marker: its `crypto.randomUUID()`, nothing else. */
const TAB_ID = /:tab:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** What the BFF's cookies must look like to the browser (README, "The HTTP contract"). */
const REFRESH_ATTRIBUTES = {
  name: REFRESH_COOKIE,
  domain: '127.0.0.1',
  path: '/',
  httpOnly: true,
  secure: true,
  sameSite: 'Strict',
} as const
const HINT_ATTRIBUTES = {
  name: SESSION_HINT_COOKIE,
  domain: '127.0.0.1',
  path: '/',
  httpOnly: false,
  secure: true,
  sameSite: 'Strict',
} as const

/**
 * The companion's value beside the refresh cookie `refreshToken` (README): 12 base64url characters
 * of the SHA-256 of the session id, which is the token's first 16 bytes.
 */
const hintOf = (refreshToken: string) =>
  createHash('sha256')
    .update(Buffer.from(refreshToken, 'base64url').subarray(0, 16).toString('base64url'))
    .digest('base64url')
    .slice(0, 12)

/**
 * The cookies `request` carried, as `name=value` pairs in name order: browsers order them by Path
 * length, then by creation time, which a rotation may or may not keep, and only the set matters.
 */
const cookiesSent = async (request: Request) =>
  ((await request.allHeaders())['cookie'] ?? '').split('; ').filter(Boolean).sort()

// The cookie read at sign-in must still be the current one at the reload; a scheduled refresh of a
// 3 s token could rotate it in between, depending on the machine's speed.
test.use({ demoEnv: { BATON_ACCESS_TTL: '60s' } })

test('the refresh cookie is __Host-, HttpOnly, Secure, SameSite=Strict on Path=/, the companion holds nothing secret, and no token is stored in the page', async ({
  context,
  tabs,
  demo,
}) => {
  const [tab] = await tabs(1)
  const signInAt = Date.now() / 1000
  await signIn(tab)

  const cookies = await context.cookies()
  expect(cookies.map(({ name }) => name).sort()).toEqual([REFRESH_COOKIE, SESSION_HINT_COOKIE])
  const cookie = cookies.find(({ name }) => name === REFRESH_COOKIE)!
  const hint = cookies.find(({ name }) => name === SESSION_HINT_COOKIE)!
  expect(cookie).toMatchObject(REFRESH_ATTRIBUTES)
  expect(hint).toMatchObject({ ...HINT_ATTRIBUTES, value: hintOf(cookie.value) })
  // Persistent cookies that end with the session (Max-Age = the 30-day absolute timeout).
  for (const { expires } of [cookie, hint]) {
    expect(Math.abs(expires - (signInAt + SESSION_LIFETIME_S))).toBeLessThan(5)
  }

  // Script in the page sees the companion only: "a refresh cookie was set" and a tag of the
  // sign-in, nothing more.
  expect(await tab.evaluate(() => document.cookie)).toBe(`${SESSION_HINT_COOKIE}=${hint.value}`)
  // It can neither overwrite the HttpOnly cookie, nor delete it, nor plant a second one of its
  // name beside it: the prefix wants Secure, Path=/ and no Domain, and HttpOnly wins over script.
  for (const forged of [
    `${REFRESH_COOKIE}=forged; path=/; secure`,
    `${REFRESH_COOKIE}=; max-age=0; path=/; secure`,
    `${REFRESH_COOKIE}=forged; path=/auth; secure`,
    `${REFRESH_COOKIE}=forged; domain=127.0.0.1; path=/; secure`,
    `${REFRESH_COOKIE}=forged`,
  ]) {
    await tab.evaluate((line) => {
      document.cookie = line
    }, forged)
  }
  expect(await context.cookies()).toEqual(cookies)

  // Nothing about the session is in any storage the page can reach, nor in the DOM. IndexedDB
  // holds one thing: the device key of the session's binding (DPoP), a key pair whose private
  // half the page can use but never read out. localStorage holds one thing too: the presence
  // marker (issue 18), one key per tab holding a session, named with the tab's random id, so that
  // a tab starting alone knows at once that there is nobody to ask for a token. Not a token, not
  // a session id.
  const stored = await tab.evaluate(async () => {
    const databases = (await indexedDB.databases()).map(({ name }) => name)
    const keys = await Promise.all(
      databases.map(
        (name) =>
          new Promise<unknown[]>((resolve, reject) => {
            const open = indexedDB.open(name!)
            open.onerror = () => reject(open.error!)
            open.onsuccess = () => {
              const db = open.result
              const stores = [...db.objectStoreNames]
              const all = db.transaction(stores, 'readonly')
              const records: unknown[] = []
              for (const store of stores) {
                all.objectStore(store).getAll().onsuccess = (event) =>
                  records.push(...((event.target as IDBRequest<unknown[]>).result ?? []))
              }
              all.oncomplete = () => {
                db.close()
                resolve(records)
              }
            }
          }),
      ),
    )
    const described = keys.flat().map((record) => {
      const pair = record as CryptoKeyPair
      return {
        privateKey: {
          type: pair.privateKey.type,
          extractable: pair.privateKey.extractable,
          algorithm: pair.privateKey.algorithm,
        },
        publicKey: { type: pair.publicKey.type },
      }
    })
    return {
      localStorage: Object.entries(localStorage),
      sessionStorage: Object.entries(sessionStorage),
      indexedDB: databases,
      deviceKeys: described,
      cacheStorage: await caches.keys(),
      html: document.documentElement.outerHTML,
    }
  })
  const channel = `baton:${new URL('/auth', demo.url).href}:v2`
  expect(stored).toMatchObject({
    localStorage: [[expect.stringMatching(TAB_ID), '1']],
    sessionStorage: [],
    indexedDB: [`baton:${new URL(demo.url).origin}/auth`],
    deviceKeys: [
      {
        privateKey: {
          type: 'private',
          extractable: false,
          algorithm: { name: 'ECDSA', namedCurve: 'P-256' },
        },
        publicKey: { type: 'public' },
      },
    ],
    cacheStorage: [],
  })
  const prefix = `${channel}:tab:`
  expect(stored.localStorage[0]![0].slice(0, prefix.length)).toBe(prefix)
  const marker = JSON.stringify(stored.localStorage)
  const { sessionId } = demo.eventsOf('login')[0]!
  for (const secret of [sessionId, cookie.value]) expect(marker).not.toContain(secret)
  // An access token is a JWT, and a JWT's header starts with "eyJ" ('{"' in base64url).
  expect(marker).not.toContain('eyJ')
  expect(stored.html).not.toMatch(/eyJ[\w-]*\.eyJ/)
  expect(stored.html).not.toContain(cookie.value)

  // Path=/ in practice: a reload sends both cookies with the page itself, the refresh and the API
  // call alike (Secure does not stop them on http://127.0.0.1, which Chromium treats as secure).
  // Only the BFF reads the refresh cookie; the API authenticates by the bearer token alone.
  const requests = {
    document: tab.waitForRequest((request) => request.isNavigationRequest()),
    refresh: tab.waitForRequest((request) => new URL(request.url()).pathname === '/auth/refresh'),
    api: tab.waitForRequest((request) => new URL(request.url()).pathname === '/api/notes'),
  }
  await tab.reload()
  await expect(sessionStatus(tab)).toHaveText('Signed in as Alice')
  // The companion's tag is the session's: a rotation keeps it.
  const sent = (value: string) => [
    `${REFRESH_COOKIE}=${value}`,
    `${SESSION_HINT_COOKIE}=${hint.value}`,
  ]
  expect(await cookiesSent(await requests.document)).toEqual(sent(cookie.value))
  expect(await cookiesSent(await requests.refresh)).toEqual(sent(cookie.value))
  // The refresh rotated it: the browser now holds a new value with the same attributes, and the
  // API call that followed carried that one.
  const rotated = (await context.cookies()).find(({ name }) => name === REFRESH_COOKIE)
  expect(rotated?.value).not.toBe(cookie.value)
  expect(rotated).toMatchObject(REFRESH_ATTRIBUTES)
  expect(await cookiesSent(await requests.api)).toEqual(sent(rotated!.value))
  const api = await requests.api
  // The session is bound to the tab's device key: the token goes as DPoP, with a proof beside it.
  const headers = await api.allHeaders()
  expect(headers['authorization']).toMatch(/^DPoP eyJ/)
  expect(headers['dpop']).toMatch(/^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/)
  expect(demo.eventsOf('refresh')).toEqual([expect.objectContaining({ duplicate: false })])
})
