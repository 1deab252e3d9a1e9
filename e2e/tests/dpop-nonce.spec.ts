/**
 * Issue 14, server nonces (RFC 9449 §8) in real Chromium: the demo with
 * `BATON_DPOP_NONCE_SECRET` set runs the BFF (and its API) with `dpop: { nonce: { secret } }`.
 * A tab's first proof has no nonce to carry: the BFF answers `400 use_dpop_nonce` with one in
 * `DPoP-Nonce`, the client sends the call again at once with it, and the session goes on; every
 * later proof, API calls included, carries the latest nonce the server gave.
 */
import type { BrowserContext, Response } from '@playwright/test'
import { apiResult, expect, press, sessionStatus, signIn, test } from '../fixtures.js'

test.use({
  demoEnv: {
    // A test secret (32 characters or more, as the BFF wants); a real one comes from a vault.
    BATON_DPOP_NONCE_SECRET: 'e2e-dpop-nonce-secret-0123456789abcdef',
    // No scheduled refresh inside the scenario: the calls below are the ones the steps make.
    BATON_ACCESS_TTL: '60s',
  },
})

/** A nonce's characters (RFC 9449 §8.1: `1*NQCHAR`). */
const NONCE = /^[\x21\x23-\x5B\x5D-\x7E]+$/

type Json = Record<string, unknown>
const payload = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Json

interface Exchange {
  path: string
  status: number
  /** The `DPoP-Nonce` the answer carried, if any. */
  nonce: string | null
  /** The payload of the request's DPoP proof, if it had one. */
  proof: Json | null
  /** The body's `error.code`, for an error. */
  code: string | null
}

/** Every call to `/auth/*` and `/api/*` the pages of `context` make from now on, in order. */
function exchanges(context: BrowserContext): Exchange[] {
  const seen: Exchange[] = []
  context.on('response', (response: Response) => {
    const path = new URL(response.url()).pathname
    if (!/^\/(auth|api)\//.test(path)) return
    const proof = response.request().headers()['dpop']
    const entry: Exchange = {
      path,
      status: response.status(),
      nonce: response.headers()['dpop-nonce'] ?? null,
      proof: proof ? payload(proof) : null,
      code: null,
    }
    seen.push(entry)
    if (entry.status >= 400) {
      void response
        .json()
        .then((body: { error?: { code?: string } }) => (entry.code = body.error?.code ?? null))
        .catch(() => {})
    }
  })
  return seen
}

test('the first sign-in and refresh of a page are asked for a nonce, answered with it, and the API calls carry it', async ({
  context,
  tabs,
  demo,
}) => {
  const seen = exchanges(context)
  const [tab] = await tabs(1)
  await signIn(tab)

  // Sign-in: asked once for a nonce, then granted with a proof that carries it.
  const logins = seen.filter(({ path }) => path === '/auth/login')
  expect(logins.map(({ status }) => status)).toEqual([400, 200])
  const [asked, granted] = logins
  await expect.poll(() => asked!.code).toBe('use_dpop_nonce')
  expect(asked!.nonce).toMatch(NONCE)
  expect(asked!.proof).not.toHaveProperty('nonce')
  expect(granted!.proof).toMatchObject({ htm: 'POST', nonce: asked!.nonce })
  expect(demo.eventsOf('login')).toHaveLength(1)

  // An API call: the proof (bound to the token by `ath`) carries the latest nonce it was given.
  await press(tab, 'Call API')
  await expect(apiResult(tab)).toContainText('1 of 1 succeeded')
  const api = seen.filter(({ path }) => path.startsWith('/api/'))
  expect(api.length).toBeGreaterThan(0)
  const latest = granted!.nonce ?? asked!.nonce
  for (const call of api) {
    expect(call.status).toBe(200)
    expect(call.proof).toMatchObject({ nonce: latest, ath: expect.any(String) })
  }

  // A reload: a new page, which knows no nonce, refreshes; asked once, then granted with it.
  const before = seen.length
  await tab.reload()
  await expect(sessionStatus(tab)).toHaveText('Signed in as Alice')
  await expect
    .poll(() => seen.slice(before).filter(({ path }) => path === '/auth/refresh').length)
    .toBe(2)
  const [again, refreshed] = seen.slice(before).filter(({ path }) => path === '/auth/refresh')
  await expect.poll(() => again!.code).toBe('use_dpop_nonce')
  expect(again).toMatchObject({ status: 400, nonce: expect.stringMatching(NONCE) })
  expect(refreshed).toMatchObject({ status: 200, proof: { nonce: again!.nonce } })
  expect(demo.eventsOf('refresh')).toHaveLength(1)
  expect(demo.eventsOf('reuse_detected')).toEqual([])
})
