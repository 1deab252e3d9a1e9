/**
 * Every end of a session signed in through the provider gives the provider's grant back, not only
 * `POST /logout` and a replacing sign-in: an administrator's revocation, a sign-out of the other
 * devices, theft (a rotated-out refresh token used again), the session limit, `validateSession`
 * refusing the user. Each drops the session's upstream record and revokes its refresh token at the
 * provider (RFC 7009), instead of leaving a live grant nobody holds. Best effort: a provider that
 * refuses is logged, and the Baton revocation stands. Back-channel logout (the provider ended the
 * session itself) drops the record without asking the provider to revoke what it ended.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BffOptions } from '../src/index.js'
import { memoryOidcStateStore, type OidcStateStore } from '../src/oidc/index.js'
import { passwordOf } from './helpers.js'
import { Agent, loginAtIdp, startIdp, type TestIdp } from './oidc-idp.js'
import {
  batonToken,
  CLIENT,
  codeOf,
  csrfFrom,
  deliverLogoutToken,
  LOGOUT_EVENT,
  mountOidcBff,
  reserve,
  signInAtProvider,
  type OidcApp,
  type Served,
  refreshGrantStatus,
  refusedWithin,
} from './oidc-harness.js'

interface Bff {
  served: Served
  app: OidcApp
  state: OidcStateStore
  /** Refresh tokens the provider's token endpoint issued to this BFF, in order. */
  issued: string[]
  /** Tokens this BFF asked the provider to revoke. */
  revocations: string[]
}

let idp: TestIdp
let main: Bff
let limited: Bff
let refusing: Bff
const warnings: string[] = []
const disabled = new Set<string>()

/** A form body as the BFF's client sends it. */
const formOf = (body: unknown) =>
  body instanceof URLSearchParams || typeof body === 'string' ? body : ''

/** The provider's `fetch` for a BFF: records refresh tokens and revocations, may refuse these. */
const watching =
  (log: Pick<Bff, 'issued' | 'revocations'>, refuseRevocation: boolean): typeof fetch =>
  async (input, init) => {
    const url = String(input instanceof Request ? input.url : input)
    if (url.endsWith('/token/revocation')) {
      const token = new URLSearchParams(formOf(init?.body)).get('token')
      if (token !== null) log.revocations.push(token)
      if (refuseRevocation) return new Response('unavailable', { status: 503 })
    }
    const response = await fetch(input, init)
    if (url.endsWith('/token') && response.ok) {
      const body = (await response.clone().json()) as { refresh_token?: string }
      if (body.refresh_token) log.issued.push(body.refresh_token)
    }
    return response
  }

function mount(served: Served, bff: Partial<BffOptions>, refuseRevocation = false): Bff {
  const state = memoryOidcStateStore()
  const log = { issued: [], revocations: [] }
  const app = mountOidcBff(served, idp.issuer, {
    bff,
    oidc: { stateStore: state, fetch: watching(log, refuseRevocation) },
  })
  return { served, app, state, ...log }
}

beforeAll(async () => {
  const [one, two, three] = await Promise.all([reserve(), reserve(), reserve()])
  idp = await startIdp({
    clients: [{ ...CLIENT, redirect_uris: [one, two, three].map((s) => s.redirectUri) }],
    // Else the provider may end a grant by itself, and nothing would be left to see.
    refreshTokensOutliveSession: true,
  })
  main = mount(one, {
    // Any rotated-out token is reuse, without waiting out the grace period.
    gracePeriod: 0,
    validateSession: (session) => !disabled.has(session.userId),
  })
  limited = mount(two, { maxSessionsPerUser: 1, onSessionLimit: 'evict_oldest' })
  refusing = mount(
    three,
    {
      logger: { warn: (message: unknown) => void warnings.push(String(message)), error: () => {} },
    },
    true,
  )
})
afterAll(async () => {
  for (const bff of [main, limited, refusing]) await bff?.served.close()
  await idp?.close()
})

/**
 * A browser signed in at `bff` as `login` (`query` added to the sign-in link): its session id and
 * upstream refresh token.
 */
async function signedIn(bff: Bff, login: string, query = '') {
  const agent = new Agent()
  const start = await agent.request(`${bff.served.origin}/auth/oidc/login?returnTo=/home${query}`)
  const at = start.headers.get('location')!
  await agent.request(await loginAtIdp(agent, at, bff.served.redirectUri, login))
  const token = bff.issued.at(-1)!
  const { sessionId, accessToken } = await batonToken(bff.served, agent)
  expect(await bff.state.get(`up:${sessionId}`)).not.toBeNull()
  expect(await refreshGrantStatus(idp.issuer, token)).toBe(200)
  return { agent, token, sessionId, accessToken }
}

const refresh = (bff: Bff, agent: Agent) =>
  agent.request(`${bff.served.origin}/auth/refresh`, {
    method: 'POST',
    headers: csrfFrom(bff.served.origin),
  })

/** The session's grant was revoked at the provider, and its record dropped. */
async function expectRetired(bff: Bff, { sessionId, token }: { sessionId: string; token: string }) {
  expect(await bff.state.get(`up:${sessionId}`)).toBeNull()
  expect(await refusedWithin(idp.issuer, token)).toBe(true)
}

describe('a session ended by the core retires its upstream grant', () => {
  it('bff.admin.revokeSession', async () => {
    const session = await signedIn(main, 'admin-one')
    expect(await main.app.bff.admin.revokeSession(session.sessionId)).toBe(true)
    await expectRetired(main, session)
  })

  it('bff.admin.revokeUser, every session of the user', async () => {
    const first = await signedIn(main, 'admin-all')
    const second = await signedIn(main, 'admin-all')
    const ended = await main.app.bff.admin.revokeUser('idp:admin-all')
    expect(ended.sort()).toEqual([first.sessionId, second.sessionId].sort())
    await expectRetired(main, first)
    await expectRetired(main, second)
  })

  it('POST /logout everywhere: the other sessions too, and the provider logout still prepared', async () => {
    const own = await signedIn(main, 'everywhere')
    const other = await signedIn(main, 'everywhere')
    const res = await own.agent.request(`${main.served.origin}/auth/logout`, {
      method: 'POST',
      headers: { ...csrfFrom(main.served.origin), 'content-type': 'application/json' },
      body: JSON.stringify({ everywhere: true }),
    })
    expect(res.status).toBeLessThan(300)
    // The own session's record was the logout hook's to retire: it built the end-session URL.
    expect(own.agent.cookies(main.served.origin).has('__Host-baton_oidc_end')).toBe(true)
    await expectRetired(main, own)
    await expectRetired(main, other)
  })

  it('DELETE /sessions?scope=others', async () => {
    // A provider's sign-in names its time when asked to: ending other sessions needs a recent one.
    const own = await signedIn(main, 'others', '&max_age=600')
    const other = await signedIn(main, 'others')
    const res = await fetch(`${main.served.origin}/auth/sessions?scope=others`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${own.accessToken}`, ...csrfFrom(main.served.origin) },
    })
    expect(res.status).toBe(204)
    await expectRetired(main, other)
    expect(await main.state.get(`up:${own.sessionId}`)).not.toBeNull()
    expect(await refreshGrantStatus(idp.issuer, own.token)).toBe(200)
  })

  it('refresh-token reuse (theft) ends the family, and its grant', async () => {
    const { agent } = await signInAtProvider(main.served, 'stolen')
    const token = main.issued.at(-1)!
    const thief = new Agent()
    for (const [name, value] of agent.cookies(main.served.origin)) {
      thief.cookies(main.served.origin).set(name, value)
    }
    const { sessionId } = await batonToken(main.served, agent)
    const reused = await refresh(main, thief)
    expect(reused.status).toBe(401)
    expect(await codeOf(reused)).toBe('refresh_token_reused')
    await expectRetired(main, { sessionId, token })
  })

  it('validateSession refusing the user', async () => {
    const session = await signedIn(main, 'disabled')
    disabled.add('idp:disabled')
    expect((await refresh(main, session.agent)).status).toBe(401)
    await expectRetired(main, session)
  })

  it('the session limit evicting the oldest session', async () => {
    const oldest = await signedIn(limited, 'limited')
    const { agent } = await signInAtProvider(limited.served, 'limited')
    const newest = limited.issued.at(-1)!
    await expectRetired(limited, oldest)
    expect((await refresh(limited, agent)).status).toBe(200)
    expect(await refreshGrantStatus(idp.issuer, newest)).toBe(200)
  })

  it('a password sign-in replacing it in the same browser', async () => {
    const session = await signedIn(main, 'replaced-by-password')
    const res = await session.agent.request(`${main.served.origin}/auth/login`, {
      method: 'POST',
      headers: { ...csrfFrom(main.served.origin), 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: passwordOf('alice') }),
    })
    expect(res.status).toBe(200)
    await expectRetired(main, session)
  })

  it('a provider refusing the revocation: logged, and the Baton revocation stands', async () => {
    const session = await signedIn(refusing, 'refused')
    expect(await refusing.app.bff.admin.revokeSession(session.sessionId)).toBe(true)
    expect(await refusing.state.get(`up:${session.sessionId}`)).toBeNull()
    await expect.poll(() => refusing.revocations).toContain(session.token)
    await expect
      .poll(() => warnings.filter((w) => w.includes('refresh token was not revoked')))
      .toHaveLength(1)
    expect((await refresh(refusing, session.agent)).status).toBe(401)
  })
})

describe('back-channel logout', () => {
  it('drops the record but does not ask the provider to revoke what it ended', async () => {
    const session = await signedIn(main, 'backchannel')
    const now = Math.floor(Date.now() / 1000)
    const logoutToken = await idp.sign(
      {
        iss: idp.issuer,
        aud: CLIENT.client_id,
        iat: now,
        exp: now + 120,
        sub: 'backchannel',
        jti: 'revocation-hook-backchannel',
        events: LOGOUT_EVENT,
      },
      { typ: 'logout+jwt' },
    )
    expect((await deliverLogoutToken(main.served.origin, logoutToken)).status).toBe(200)
    expect(await main.state.get(`up:${session.sessionId}`)).toBeNull()
    expect((await refresh(main, session.agent)).status).toBe(401)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(main.revocations).not.toContain(session.token)
  })
})
