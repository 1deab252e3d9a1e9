/**
 * A callback whose `state` is not the transaction's (a stale tab's, or any link to the callback)
 * is refused and leaves the browser's transaction cookie alone, so the sign-in that cookie
 * belongs to still finishes. Before, the cookie was deleted before the comparison.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Agent, loginAtIdp, startIdp, type TestIdp } from './oidc-idp.js'
import { CLIENT, mountOidcBff, reserve, type Served } from './oidc-harness.js'

let idp: TestIdp
let served: Served

beforeAll(async () => {
  served = await reserve()
  idp = await startIdp({ clients: [{ ...CLIENT, redirect_uris: [served.redirectUri] }] })
  mountOidcBff(served, idp.issuer)
})
afterAll(async () => {
  await served?.close()
  await idp?.close()
})

/** Starts a sign-in in `agent` (one browser) and returns the provider's callback URL for it. */
async function signInUpToCallback(agent: Agent, returnTo: string) {
  const start = await agent.request(
    `${served.origin}/auth/oidc/login?returnTo=${encodeURIComponent(returnTo)}`,
  )
  expect(start.status).toBe(302)
  return loginAtIdp(agent, start.headers.get('location')!, served.redirectUri)
}

describe('a callback for another transaction than the cookie holds', () => {
  it('two tabs signing in at once: the stale tab’s callback does not break the live one', async () => {
    const browser = new Agent()
    const first = await signInUpToCallback(browser, '/first') // tab 1
    const second = await signInUpToCallback(browser, '/second') // tab 2: its cookie replaces tab 1's
    // Tab 1 comes back first: its transaction was replaced, so it cannot finish.
    const stale = await browser.request(first)
    expect(stale.headers.get('location')).toBe('/login?oidc_error=invalid_state')
    // Tab 2's transaction is the one the browser holds, its state matches: it signs the user in.
    const live = await browser.request(second)
    expect(live.status).toBe(302)
    expect(live.headers.get('location')).toBe('/second')
  })

  it('a link to the callback with a made-up state does not cancel the sign-in in progress', async () => {
    const browser = new Agent()
    const callback = await signInUpToCallback(browser, '/orders')
    // Any site can send a top-level navigation here; the Lax transaction cookie goes with it.
    const forged = await browser.request(`${served.origin}/auth/oidc/callback?code=x&state=forged`)
    expect(forged.headers.get('location')).toBe('/login?oidc_error=invalid_state')
    const live = await browser.request(callback)
    expect(live.headers.get('location')).toBe('/orders')
  })
})
