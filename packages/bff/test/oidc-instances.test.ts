/**
 * Issue 16 on two instances sharing one Redis (sessions and OpenID state): back-channel logout
 * from the provider revokes the session everywhere, logout tokens are validated (and replays
 * refused on the other instance), and two instances refreshing the upstream token at once spend
 * the provider's refresh token once.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createSigningKeys } from '../src/index.js'
import { redisOidcStateStore } from '../src/oidc/index.js'
import { redisStore } from '../src/stores/redis.js'
import type { SessionStore } from '../src/stores/types.js'
import { Agent, confirmLogoutAtIdp, loginAtIdp, startIdp, type TestIdp } from './oidc-idp.js'
import {
  CLIENT,
  csrfFrom,
  deliverLogoutToken,
  LOGOUT_EVENT,
  mountOidcBff,
  reserve,
  type OidcApp,
  type Served,
} from './oidc-harness.js'
import { REDIS_URL, deleteKeys, redisAvailable, uniquePrefix } from './redis-helpers.js'

describe.skipIf(!redisAvailable)('two instances on one Redis', () => {
  let idp: TestIdp
  let a: Served
  let b: Served
  let appA: OidcApp
  let appB: OidcApp
  let redis: Redis
  let prefix: string
  const stores: SessionStore[] = []
  let offset = 0
  const now = () => Date.now() + offset

  beforeAll(async () => {
    a = await reserve()
    b = await reserve()
    idp = await startIdp({
      clients: [
        {
          ...CLIENT,
          redirect_uris: [a.redirectUri, b.redirectUri],
          backchannel_logout_uri: `${a.origin}/auth/oidc/backchannel-logout`,
        },
      ],
    })
    redis = new Redis(REDIS_URL)
    prefix = uniquePrefix()
    // One deployment: the instances share their signing keys as they share Redis.
    const keys = createSigningKeys()
    const instance = (served: Served) => {
      const store = redisStore({ redis: REDIS_URL, keyPrefix: prefix })
      stores.push(store)
      return mountOidcBff(served, idp.issuer, {
        bff: { store, now, keys },
        oidc: { stateStore: redisOidcStateStore({ redis, keyPrefix: `${prefix}oidc:` }) },
      })
    }
    appA = instance(a)
    appB = instance(b)
  })
  afterAll(async () => {
    await a?.close()
    await b?.close()
    await idp?.close()
    for (const store of stores) await store.close()
    if (redis) {
      await deleteKeys(redis, prefix)
      redis.disconnect()
    }
  })

  /** Signs alice in on A; returns the agent and a Baton access token. */
  async function signIn() {
    const agent = new Agent()
    const start = await agent.request(`${a.origin}/auth/oidc/login?returnTo=/`)
    const callback = await loginAtIdp(agent, start.headers.get('location')!, a.redirectUri)
    expect((await agent.request(callback)).headers.get('location')).toBe('/')
    return { agent, accessToken: await refresh(agent) }
  }
  async function refresh(agent: Agent) {
    const res = await agent.request(`${a.origin}/auth/refresh`, {
      method: 'POST',
      headers: csrfFrom(a.origin),
    })
    expect(res.status).toBe(200)
    return ((await res.json()) as { accessToken: string }).accessToken
  }
  const me = (served: Served, token: string) =>
    fetch(`${served.origin}/api/me`, { headers: { authorization: `Bearer ${token}` } })
  const backchannel = (served: Served, token: string) => deliverLogoutToken(served.origin, token)

  it('the provider signs the user out: the session is revoked on both instances', async () => {
    const { agent, accessToken } = await signIn()
    expect((await me(b, accessToken)).status).toBe(200)

    // The user signs out at the provider itself; it tells A over the back channel.
    const confirmed = await confirmLogoutAtIdp(agent, `${idp.issuer}/session/end`)
    expect(confirmed.status).toBe(303)

    let status = 200
    for (let i = 0; i < 40 && status === 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25))
      status = (await me(b, accessToken)).status
    }
    expect(status).toBe(401)
    const res = await agent.request(`${a.origin}/auth/refresh`, {
      method: 'POST',
      headers: csrfFrom(a.origin),
    })
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('session_revoked')
  })

  it('refuses logout tokens with a nonce, without the event, or replayed (on the other instance)', async () => {
    const { accessToken } = await signIn()
    const iat = Math.floor(Date.now() / 1000)
    const base = { iss: idp.issuer, aud: CLIENT.client_id, iat, exp: iat + 120, sub: 'alice' }
    const typ = { typ: 'logout+jwt' }
    const expectRefused = async (res: Response) => {
      expect(res.status).toBe(400)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request')
    }
    await expectRefused(
      await backchannel(
        a,
        await idp.sign({ ...base, jti: 'j1', events: LOGOUT_EVENT, nonce: 'n' }, typ),
      ),
    )
    await expectRefused(
      await backchannel(a, await idp.sign({ ...base, jti: 'j2', events: { other: {} } }, typ)),
    )
    await expectRefused(
      await backchannel(
        a,
        await idp.sign({ ...base, jti: 'j3', events: LOGOUT_EVENT }, { typ: 'at+jwt' }),
      ),
    )
    await expectRefused(
      await backchannel(
        a,
        await idp.sign({ ...base, aud: 'someone-else', jti: 'j4', events: LOGOUT_EVENT }, typ),
      ),
    )
    await expectRefused(await backchannel(a, 'not-a-jwt'))
    // Still signed in after all of them.
    expect((await me(b, accessToken)).status).toBe(200)

    const valid = await idp.sign({ ...base, jti: 'j5', events: LOGOUT_EVENT }, typ)
    expect((await backchannel(a, valid)).status).toBe(200)
    await expectRefused(await backchannel(b, valid))
    let status = 200
    for (let i = 0; i < 40 && status === 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25))
      status = (await me(b, accessToken)).status
    }
    expect(status).toBe(401)
  })

  it('two instances refreshing the upstream token at once spend it once', async () => {
    const { agent } = await signIn()
    offset = 2 * 3_600_000 // the provider's access token (1 h) is now past its expiry for the BFF
    try {
      const token = await refresh(agent)
      const before = idp.refreshGrants()
      const relay = (served: Served) =>
        fetch(`${served.origin}/api/relay`, { headers: { authorization: `Bearer ${token}` } })
      const answers = await Promise.all([relay(a), relay(b), relay(a), relay(b)])
      expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200])
      expect(idp.refreshGrants() - before).toBe(1)
      const tokens = new Set([...appA.relayed.slice(-2), ...appB.relayed.slice(-2)])
      expect(tokens.size).toBe(1)
    } finally {
      offset = 0
    }
  })
})
