import { describe, expect, it } from 'vitest'
import type { DpopKeyStore } from './dpop-keys.js'
import { base64url, type PublicJwk } from './dpop-proof.js'
import { createDpop } from './dpop.js'

const NOW = Date.UTC(2026, 10, 2, 9, 0, 0)
const claimsOf = (proof: string) =>
  JSON.parse(Buffer.from(proof.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>
const jwkOf = (proof: string) =>
  (JSON.parse(Buffer.from(proof.split('.')[0]!, 'base64url').toString()) as { jwk: PublicJwk }).jwk
const token = (payload: object) => `h.${base64url(JSON.stringify(payload))}.s`
/** RFC 7638: the required members, in lexicographic order, no whitespace. */
const thumbprintOf = async ({ x, y }: PublicJwk) =>
  base64url(
    await crypto.subtle.digest(
      'SHA-256',
      new TextEncoder().encode(`{"crv":"P-256","kty":"EC","x":"${x}","y":"${y}"}`),
    ),
  )

/** An in-memory key store that counts its calls, and can be emptied or made to fail. */
function memoryKeys() {
  const state = { pair: null as CryptoKeyPair | null, saves: 0, loads: 0, broken: false }
  const store: DpopKeyStore = {
    load: () => {
      state.loads++
      return state.broken ? Promise.reject(new Error('gone')) : Promise.resolve(state.pair)
    },
    save: (pair) => {
      if (state.broken) return Promise.reject(new Error('quota'))
      state.saves++
      state.pair = pair
      return Promise.resolve()
    },
  }
  return { state, store }
}

const dpopWith = (store: DpopKeyStore | null, now = () => NOW) =>
  createDpop({ channel: 'baton:test', adapters: { dpopKeys: () => store }, now })

describe('createDpop', () => {
  it('a sign-in signs with a new key every time, stored once granted; other calls sign with the stored one', async () => {
    const { state, store } = memoryKeys()
    const dpop = dpopWith(store)!
    const first = await dpop.cookieProof('login', 'http://app.test/auth/login')
    expect(state.saves).toBe(0)
    await dpop.answered('granted')
    const stored = state.pair
    const refresh = await dpop.cookieProof('refresh', 'http://app.test/auth/refresh')
    expect(state.pair).toBe(stored)
    expect(jwkOf(refresh!)).toEqual(jwkOf(first!))
    const second = await dpop.cookieProof('login', 'http://app.test/auth/login')
    await dpop.answered('granted')
    expect(state.saves).toBe(2)
    expect(state.pair).not.toBe(stored)
    expect(jwkOf(second!)).not.toEqual(jwkOf(first!))
    expect(claimsOf(refresh!)).toMatchObject({
      htm: 'POST',
      htu: 'http://app.test/auth/refresh',
      iat: NOW / 1000,
    })
  })

  // Before, a sign-in stored its new key before the BFF answered: a refused one left the live
  // session bound to a key that was no longer stored, and its next refresh ended it.
  it('a refused sign-in leaves the stored key: the live session’s refreshes still sign with it', async () => {
    const { state, store } = memoryKeys()
    const dpop = dpopWith(store)!
    const live = await dpop.cookieProof('login', 'http://app.test/auth/login')
    await dpop.answered('granted')
    const stored = state.pair
    const refused = await dpop.cookieProof('login', 'http://app.test/auth/login')
    // A use_dpop_nonce answer: sent again, signed by the same unsaved key.
    const again = await dpop.cookieProof('retry', 'http://app.test/auth/login')
    await dpop.answered('refused')
    const refresh = await dpop.cookieProof('refresh', 'http://app.test/auth/refresh')
    expect(jwkOf(again!)).toEqual(jwkOf(refused!))
    expect(jwkOf(refused!)).not.toEqual(jwkOf(live!))
    expect(jwkOf(refresh!)).toEqual(jwkOf(live!))
    expect({ pair: state.pair, saves: state.saves }).toEqual({ pair: stored, saves: 1 })
  })

  it('a second factor asked for: the second step signs with the password step’s key, stored once granted', async () => {
    const { state, store } = memoryKeys()
    const dpop = dpopWith(store)!
    await dpop.cookieProof('login', 'http://app.test/auth/login')
    await dpop.answered('granted')
    const stored = state.pair
    const password = await dpop.cookieProof('login', 'http://app.test/auth/login')
    await dpop.answered('second_step')
    // The user types the code; meanwhile every refresh is the live session's.
    const refresh = await dpop.cookieProof('refresh', 'http://app.test/auth/refresh')
    await dpop.answered('granted')
    const wrongCode = await dpop.cookieProof('loginMfa', 'http://app.test/auth/login/mfa')
    await dpop.answered('refused')
    expect(state.pair).toBe(stored)
    const rightCode = await dpop.cookieProof('loginMfa', 'http://app.test/auth/login/mfa')
    await dpop.answered('granted')
    expect(jwkOf(refresh!)).not.toEqual(jwkOf(password!))
    expect(jwkOf(wrongCode!)).toEqual(jwkOf(password!))
    expect(jwkOf(rightCode!)).toEqual(jwkOf(password!))
    expect(state.pair).not.toBe(stored)
    const next = await dpop.cookieProof('refresh', 'http://app.test/auth/refresh')
    expect(jwkOf(next!)).toEqual(jwkOf(password!))
  })

  it('a cookie call finds the key gone: no proof, or, asked to create, a new key it says it made', async () => {
    const { state, store } = memoryKeys()
    const dpop = dpopWith(store)!
    expect(await dpop.cookieProof('refresh', 'http://app.test/auth/refresh')).toBeNull()
    expect(state.saves).toBe(0) // a visitor without a session makes no key
    const login = await dpop.cookieProof('login', 'http://app.test/auth/login')
    state.pair = null
    expect(await dpop.cookieProof('logout', 'http://app.test/auth/logout')).toBeNull()
    const refresh = await dpop.cookieProof(
      'refresh',
      'http://app.test/auth/refresh',
      undefined,
      true,
    )
    expect(refresh).not.toBeNull()
    expect(jwkOf(refresh!)).not.toEqual(jwkOf(login!))
    expect(state.pair).not.toBeNull()
  })

  it('no store, or one that fails: no proof at all (an unbound session)', async () => {
    expect(dpopWith(null)).toBeUndefined()
    const { state, store } = memoryKeys()
    state.broken = true
    expect(await dpopWith(store)!.cookieProof('login', 'http://app.test/auth/login')).toBeNull()
    expect(await dpopWith(store)!.cookieProof('refresh', 'http://app.test/auth/refresh')).toBeNull()
  })

  it('API proofs: none for a bearer token; ath and the method and URL for a bound one', async () => {
    const { store } = memoryKeys()
    const dpop = dpopWith(store)!
    const login = await dpop.cookieProof('login', 'http://app.test/auth/login')
    await dpop.answered('granted')
    const jkt = await thumbprintOf(jwkOf(login!))
    expect(await dpop.apiProof('GET', 'http://app.test/api/me', token({ sub: 'u' }))).toBeNull()
    const bound = token({ sub: 'u', cnf: { jkt } })
    const proof = await dpop.apiProof('PUT', 'http://app.test/api/notes/1?draft=1', bound)
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(bound))
    expect(claimsOf(proof!)).toEqual({
      jti: expect.any(String),
      htm: 'PUT',
      htu: 'http://app.test/api/notes/1',
      iat: NOW / 1000,
      ath: Buffer.from(digest).toString('base64url'),
    })
  })

  it('a token bound to a key another tab made since: the store is read again', async () => {
    const { state, store } = memoryKeys()
    const here = dpopWith(store)!
    const there = dpopWith(store)!
    await here.cookieProof('login', 'http://app.test/auth/login')
    await here.answered('granted')
    const login = await there.cookieProof('login', 'http://app.test/auth/login')
    await there.answered('granted')
    const jkt = await thumbprintOf(jwkOf(login!))
    const loads = state.loads
    const proof = await here.apiProof('GET', 'http://app.test/api/me', token({ cnf: { jkt } }))
    expect(jwkOf(proof!)).toEqual(jwkOf(login!))
    expect(state.loads).toBe(loads + 1)
    await here.apiProof('GET', 'http://app.test/api/me', token({ cnf: { jkt } }))
    expect(state.loads).toBe(loads + 1) // cached once it matches
  })

  it('keeps the latest nonce per origin', async () => {
    const { store } = memoryKeys()
    const dpop = dpopWith(store)!
    dpop.observe('http://app.test/auth/login', new Headers({ 'dpop-nonce': 'n-1' }))
    dpop.observe('http://app.test/api/me', new Headers({ 'dpop-nonce': 'n-2' }))
    dpop.observe('https://api.example/x', new Headers({ 'dpop-nonce': 'other' }))
    dpop.observe('http://app.test/api/me', new Headers())
    const proof = await dpop.cookieProof('login', 'http://app.test/auth/login')
    expect(claimsOf(proof!).nonce).toBe('n-2')
  })

  it('iat on the server clock: from a token’s iat, or a refusal’s Date when off', async () => {
    const { store } = memoryKeys()
    let now = NOW
    const dpop = dpopWith(store, () => now)!
    await dpop.cookieProof('login', 'http://app.test/auth/login')
    await dpop.answered('granted')
    const iatOf = async () =>
      claimsOf((await dpop.cookieProof('refresh', 'http://app.test/auth/refresh'))!).iat
    // This device is 5 minutes fast: the token was issued 5 minutes "ago".
    dpop.observeToken(token({ iat: NOW / 1000 - 300 }), NOW)
    expect(await iatOf()).toBe(NOW / 1000 - 300)
    // Rounding and latency are no skew.
    dpop.observeToken(token({ iat: NOW / 1000 - 1 }), NOW)
    expect(await iatOf()).toBe(NOW / 1000)
    now = NOW + 10_000
    const date = new Headers({ date: new Date(NOW - 120_000).toUTCString() })
    expect(dpop.clockWasOff(date)).toBe(true)
    expect(await iatOf()).toBe(NOW / 1000 - 120)
    expect(dpop.clockWasOff(date)).toBe(false) // already accounted for: no second retry
    expect(dpop.clockWasOff(new Headers())).toBe(false)
  })
})
