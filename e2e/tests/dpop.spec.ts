/**
 * Issue 14: device-bound sessions (DPoP, RFC 9449) in real Chromium. One non-extractable key in
 * IndexedDB serves every tab and reload; what is copied out of the browser (the refresh cookie, an
 * access token, a proof) is refused elsewhere; losing the key ends the session, never hangs it.
 */
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { BrowserContext, Page, Request } from '@playwright/test'
import { apiResult, expect, press, sessionStatus, signIn, test } from '../fixtures.js'
import { REFRESH_COOKIE, refreshCookie } from '../refresh-cookie.js'

/** The few jose functions this scenario signs with (typed here: the e2e package has no jose). */
interface Jose {
  generateKeyPair(alg: 'ES256'): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }>
  exportJWK(key: CryptoKey): Promise<Record<string, unknown>>
  SignJWT: new (payload: Record<string, unknown>) => {
    setProtectedHeader(header: Record<string, unknown>): {
      setIssuedAt(): { sign(key: CryptoKey): Promise<string> }
    }
  }
}

// jose is @baton/bff's dependency, not the e2e package's: loaded from where the BFF finds it.
const jose = (await import(
  pathToFileURL(createRequire(fileURLToPath(import.meta.resolve('@baton/bff'))).resolve('jose'))
    .href
)) as Jose

type Json = Record<string, unknown>
const part = (jwt: string, index: 0 | 1) =>
  JSON.parse(Buffer.from(jwt.split('.')[index]!, 'base64url').toString('utf8')) as Json

/** The API calls the pages of `context` make from now on: their Authorization and DPoP headers. */
function apiCalls(context: BrowserContext) {
  const calls: Array<{ authorization: string; proof: string | null; url: string }> = []
  context.on('request', (request: Request) => {
    if (!new URL(request.url()).pathname.startsWith('/api/')) return
    const headers = request.headers()
    if (headers.authorization)
      calls.push({
        authorization: headers.authorization,
        proof: headers.dpop ?? null,
        url: request.url(),
      })
  })
  return calls
}

async function callApi(tab: Page) {
  await press(tab, 'Call API')
  await expect(apiResult(tab)).toContainText('1 of 1 succeeded')
}

/** A proof for `method url`, signed in Node by a key of its own (an attacker's). */
async function foreignProof(method: string, url: string, extra: Json = {}) {
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256')
  return new jose.SignJWT({ htm: method, htu: url, jti: crypto.randomUUID(), ...extra })
    .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: await jose.exportJWK(publicKey) })
    .setIssuedAt()
    .sign(privateKey)
}

const refreshFromNode = (appUrl: string, cookie: string, proof?: string) =>
  fetch(new URL('/auth/refresh', appUrl), {
    method: 'POST',
    headers: {
      'x-csrf': '1',
      origin: new URL(appUrl).origin,
      cookie: `${REFRESH_COOKIE}=${cookie}`,
      ...(proof ? { dpop: proof } : {}),
    },
  })

const codeOf = async (response: Response) =>
  ((await response.json()) as { error?: { code?: string } }).error?.code

test('a bound session works across 5 tabs and reloads, with one key', async ({
  context,
  signedInTabs,
  demo,
}) => {
  const calls = apiCalls(context)
  const tabs = await signedInTabs(5)
  for (const tab of tabs) await callApi(tab)
  await tabs[2].reload()
  await expect(sessionStatus(tabs[2])).toHaveText('Signed in as Alice')
  await callApi(tabs[2])

  expect(calls.length).toBeGreaterThanOrEqual(6)
  expect(calls.every((c) => c.authorization.startsWith('DPoP ') && c.proof !== null)).toBe(true)
  const keys = new Set(calls.map((c) => JSON.stringify(part(c.proof!, 0).jwk)))
  expect(keys.size).toBe(1)
  const databases = await tabs[0].evaluate(async () =>
    (await indexedDB.databases()).map((d) => d.name),
  )
  expect(databases).toHaveLength(1)
  // The key cannot be read out of the page, even by the page.
  const extractable = await tabs[0].evaluate(
    (name) =>
      new Promise<boolean>((resolve, reject) => {
        const open = indexedDB.open(name)
        open.onerror = () => reject(open.error!)
        open.onsuccess = () => {
          const get = open.result.transaction('keys').objectStore('keys').get('current')
          get.onsuccess = () => {
            open.result.close()
            resolve((get.result as CryptoKeyPair).privateKey.extractable)
          }
        }
      }),
    databases[0]!,
  )
  expect(extractable).toBe(false)
  expect(demo.eventsOf('login')).toHaveLength(1)
})

test('a copied cookie, token or proof is refused outside the browser; a foreign-key refresh revokes the family', async ({
  context,
  tabs,
  demo,
}) => {
  const calls = apiCalls(context)
  const [a] = await tabs(1)
  await signIn(a)
  await callApi(a)
  const [call] = calls
  const token = call!.authorization.slice('DPoP '.length)
  const me = new URL('/api/me', demo.url).href

  // The access token alone, as a bearer or as DPoP without a proof, or with a foreign key's proof.
  for (const headers of [
    { authorization: `Bearer ${token}` },
    { authorization: `DPoP ${token}` },
    {
      authorization: `DPoP ${token}`,
      dpop: await foreignProof('GET', me, {
        ath: Buffer.from(
          await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)),
        ).toString('base64url'),
      }),
    },
  ]) {
    const response = await fetch(me, { headers })
    expect(response.status).toBe(401)
  }
  // The page's own proof, replayed with its token: refused (its jti was seen).
  const replay = await fetch(call!.url, {
    headers: { authorization: call!.authorization, dpop: call!.proof! },
  })
  expect(replay.status).toBe(401)
  expect(await codeOf(replay)).toBe('invalid_dpop_proof')

  // The refresh cookie without a proof: refused, and the session goes on.
  const cookie = (await refreshCookie(context))!.value
  const bare = await refreshFromNode(demo.url, cookie)
  expect([bare.status, await codeOf(bare)]).toEqual([401, 'invalid_dpop_proof'])
  await callApi(a)
  expect(demo.eventsOf('binding_mismatch')).toEqual([])

  // Signed by a fresh key: theft. The whole session is revoked, and the tab signed out.
  const stolen = await refreshFromNode(
    demo.url,
    (await refreshCookie(context))!.value,
    await foreignProof('POST', new URL('/auth/refresh', demo.url).href),
  )
  expect([stolen.status, await codeOf(stolen)]).toEqual([401, 'session_revoked'])
  expect(demo.eventsOf('binding_mismatch')).toHaveLength(1)
  await press(a, 'Expire access token now')
  await press(a, 'Call API')
  await expect(sessionStatus(a)).toHaveText('Signed out', { timeout: 10_000 })
})

test.describe('with 60 s tokens', () => {
  // The test's own call must be the refresh that finds the key gone: with 3 s tokens a scheduled
  // refresh ends the session first whenever the machine is slow, and the clicks find the sign-in
  // page instead of the dashboard.
  test.use({ demoEnv: { BATON_ACCESS_TTL: '60s' } })

  test('clearing IndexedDB mid-session ends the session in every tab with a stated reason', async ({
    signedInTabs,
    demo,
  }) => {
    const [a, b] = await signedInTabs(2)
    await a.evaluate(async () => {
      for (const { name } of await indexedDB.databases())
        await new Promise((resolve) => {
          const request = indexedDB.deleteDatabase(name!)
          request.onsuccess = request.onerror = request.onblocked = resolve
        })
    })
    await press(a, 'Expire access token now')
    await press(a, 'Call API')
    for (const tab of [a, b]) {
      await expect(sessionStatus(tab)).toHaveText('Signed out', { timeout: 10_000 })
      await expect(tab.getByText('This session was revoked from another device.')).toBeVisible()
    }
    expect(demo.eventsOf('binding_mismatch')).toHaveLength(1)
  })
})
