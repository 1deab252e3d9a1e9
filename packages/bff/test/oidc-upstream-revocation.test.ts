/**
 * The provider's grant ends with the Baton session that held it: when a sign-in through the
 * provider replaces the browser's session, the replaced session's upstream refresh token is
 * revoked at the provider (RFC 7009), as `POST /logout` revokes it, instead of staying valid there
 * with nobody to use or end it. Not within one provider session (a step-up, a single sign-on),
 * where the provider may hold both sign-ins' tokens as one grant. Best effort: a provider that
 * refuses the revocation is logged, and the sign-in goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loginAtIdp, startIdp, type Agent, type TestIdp } from './oidc-idp.js'
import {
  CLIENT,
  csrfFrom,
  mountOidcBff,
  reserve,
  signInAtProvider,
  type Served,
  refreshGrantStatus,
  refusedWithin,
} from './oidc-harness.js'

let idp: TestIdp
let optional: Served
let unbound: Served
let refusing: Served
/** Refresh tokens the provider's token endpoint issued, in order, per BFF. */
const issued = new Map<Served, string[]>()
/** Warnings logged by the BFF at `refusing`. */
const warnings: string[] = []

/** The provider's `fetch` for the BFF at `served`: records refresh tokens, may refuse revocation. */
const watching =
  (served: Served, refuseRevocation = false): typeof fetch =>
  async (input, init) => {
    const url = String(input instanceof Request ? input.url : input)
    if (refuseRevocation && url.endsWith('/token/revocation')) {
      return new Response('unavailable', { status: 503 })
    }
    const response = await fetch(input, init)
    if (url.endsWith('/token') && response.ok) {
      const body = (await response.clone().json()) as { refresh_token?: string }
      if (body.refresh_token) issued.get(served)!.push(body.refresh_token)
    }
    return response
  }

beforeAll(async () => {
  optional = await reserve()
  unbound = await reserve()
  refusing = await reserve()
  const all = [optional, unbound, refusing]
  for (const served of all) issued.set(served, [])
  idp = await startIdp({
    clients: [{ ...CLIENT, redirect_uris: all.map((served) => served.redirectUri) }],
    // Else this provider ends the replaced sign-in's grant itself, and nothing would be left to see.
    refreshTokensOutliveSession: true,
  })
  mountOidcBff(optional, idp.issuer, { oidc: { fetch: watching(optional) } })
  mountOidcBff(unbound, idp.issuer, {
    bff: { binding: 'off' },
    oidc: { fetch: watching(unbound) },
  })
  mountOidcBff(refusing, idp.issuer, {
    bff: {
      logger: { warn: (message: unknown) => void warnings.push(String(message)), error: () => {} },
    },
    oidc: { fetch: watching(refusing, true) },
  })
})
afterAll(async () => {
  for (const served of [optional, unbound, refusing]) await served?.close()
  await idp?.close()
})

/**
 * Signs in again in the browser `agent` already signed in at `served`, as `login`; in a new
 * session at the provider (its cookies dropped: it expired there, or the user signed out there
 * alone) unless `sameProviderSession`.
 */
async function signInAgain(
  served: Served,
  agent: Agent,
  login: string,
  { sameProviderSession = false, query = '' } = {},
) {
  if (!sameProviderSession) agent.cookies(idp.issuer).clear()
  const start = await agent.request(`${served.origin}/auth/oidc/login?returnTo=/again${query}`)
  expect(start.status).toBe(302)
  const callback = await loginAtIdp(
    agent,
    start.headers.get('location')!,
    served.redirectUri,
    login,
  )
  const landed = await agent.request(callback)
  expect(landed.headers.get('location')).toBe('/again')
}

const refreshStatus = async (served: Served, agent: Agent) =>
  (
    await agent.request(`${served.origin}/auth/refresh`, {
      method: 'POST',
      headers: csrfFrom(served.origin),
    })
  ).status

/** The refresh token the provider last issued to the BFF at `served`. */
const lastIssued = (served: Served) => issued.get(served)!.at(-1)!

describe('a sign-in through the provider that replaces the browser’s session', () => {
  it.each([
    ['the same user, device binding if supported (the default)', () => optional, 'same-user'],
    ['the same user, device binding off', () => unbound, 'same-user-unbound'],
    ['another user', () => optional, 'next-user'],
  ])(
    'revokes the replaced session’s upstream refresh token at the provider (%s)',
    async (_, at, login) => {
      // Before: the replaced session's refresh token stayed valid at the provider, held by nobody.
      const served = at()
      const { agent } = await signInAtProvider(served, 'first-user')
      const first = lastIssued(served)
      expect(await refreshGrantStatus(idp.issuer, first)).toBe(200)

      await signInAgain(served, agent, login)
      const second = lastIssued(served)
      expect(second).not.toBe(first)

      expect(await refusedWithin(idp.issuer, first)).toBe(true)
      // The new session, and its grant, go on.
      expect(await refreshStatus(served, agent)).toBe(200)
      expect(await refreshGrantStatus(idp.issuer, second)).toBe(200)
    },
  )

  it.each([
    ['a sign-in through its single sign-on', ''],
    ['a step-up (prompt=login)', '&prompt=login'],
  ])(
    'leaves the grant alone in the same provider session (%s), which may hold both tokens',
    async (_, query) => {
      // Keycloak keeps one client session per provider session: revoking the old token there
      // would end the new sign-in's grant too, and the new session at its first upstream refresh.
      const { agent } = await signInAtProvider(optional, 'sso-user')
      const first = lastIssued(optional)
      await signInAgain(optional, agent, 'sso-user', { sameProviderSession: true, query })
      const second = lastIssued(optional)
      expect(second).not.toBe(first)
      expect(await refreshStatus(optional, agent)).toBe(200)
      expect(await refreshGrantStatus(idp.issuer, second)).toBe(200)
    },
  )

  it('control: POST /logout revokes the session’s upstream refresh token', async () => {
    const { agent } = await signInAtProvider(optional, 'logout-user')
    const token = lastIssued(optional)
    const res = await agent.request(`${optional.origin}/auth/logout`, {
      method: 'POST',
      headers: csrfFrom(optional.origin),
    })
    expect(res.status).toBeLessThan(300)
    expect(await refusedWithin(idp.issuer, token)).toBe(true)
  })

  it('a provider refusing the revocation is logged, and the sign-in goes on', async () => {
    // Before: no revocation was even asked for (and a refused one was swallowed without a word).
    const { agent } = await signInAtProvider(refusing, 'refused-user')
    await signInAgain(refusing, agent, 'refused-user')
    expect(await refreshStatus(refusing, agent)).toBe(200)
    await expect
      .poll(() => warnings.filter((w) => w.includes('refresh token was not revoked')))
      .toHaveLength(1)
  })
})
