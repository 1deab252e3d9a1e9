/**
 * Back-channel logout is scoped to the issuer. Two BFFs signing in through two providers share one
 * session store (and so its `oidcStateStore()`): provider A's logout token ends only sessions
 * signed in through provider A (Back-Channel Logout 1.0 §2.4: "all sessions at the RP for the
 * End-User identified by the iss and sub Claims"), and a `jti` of provider A does not make provider
 * B's logout token a "replay". Sessions indexed by a build before the issuer scope (unscoped
 * `sub:`/`sid:` entries) are still found. Run on every built-in store: memory, SQLite, Redis,
 * PostgreSQL.
 */
import { Redis } from 'ioredis'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStore, type BffEvent } from '../src/index.js'
import { issuerTag } from '../src/oidc/issuer-keys.js'
import { createSealer } from '../src/oidc/seal.js'
import { postgresStore } from '../src/stores/postgres.js'
import { redisStore } from '../src/stores/redis.js'
import { sqliteStore } from '../src/stores/sqlite.js'
import type { SessionStore } from '../src/stores/types.js'
import { startIdp, type Agent, type TestIdp } from './oidc-idp.js'
import {
  CLIENT,
  clientOf,
  csrfFrom,
  deliverLogoutToken,
  LOGOUT_EVENT,
  mountOidcBff,
  reserve,
  SECRET,
  signInAtProvider,
  type Served,
} from './oidc-harness.js'
import { POSTGRES_URL, dropSchema, postgresAvailable, uniqueSchema } from './postgres-helpers.js'
import { REDIS_URL, deleteKeys, redisAvailable, uniquePrefix } from './redis-helpers.js'

let idpA: TestIdp
let idpB: TestIdp
let servedA: Served
let servedB: Served
const cleanups: (() => Promise<unknown>)[] = []

beforeAll(async () => {
  servedA = await reserve()
  servedB = await reserve()
  // With a back-channel logout URI the provider puts its `sid` in the ID token.
  const withBackchannel = (served: Served) => ({
    ...clientOf(served),
    backchannel_logout_uri: `${served.origin}/auth/oidc/backchannel-logout`,
  })
  idpA = await startIdp({ clients: [withBackchannel(servedA)] })
  idpB = await startIdp({ clients: [withBackchannel(servedB)] })
})
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined)
  await servedA?.close()
  await servedB?.close()
  await idpA?.close()
  await idpB?.close()
})

const refreshStatus = async (served: Served, agent: Agent) =>
  (
    await agent.request(`${served.origin}/auth/refresh`, {
      method: 'POST',
      headers: csrfFrom(served.origin),
    })
  ).status

async function deliver(served: Served, idp: TestIdp, claims: Record<string, unknown>) {
  const token = await idp.sign(
    {
      iss: idp.issuer,
      aud: CLIENT.client_id,
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 120,
      events: LOGOUT_EVENT,
      ...claims,
    },
    { typ: 'logout+jwt' },
  )
  return deliverLogoutToken(served.origin, token)
}

/** BFF A on provider A and BFF B on provider B, on one session store. */
function mountBoth(store: SessionStore) {
  const events: BffEvent[] = []
  mountOidcBff(servedA, idpA.issuer, { bff: { store, onEvent: (e) => void events.push(e) } })
  mountOidcBff(servedB, idpB.issuer, { bff: { store, onEvent: (e) => void events.push(e) } })
  return events
}

/** The Baton session id of `agent` at `served`, and the provider `sid` its upstream record holds. */
async function sessionOf(store: SessionStore, served: Served, agent: Agent) {
  const res = await agent.request(`${served.origin}/auth/refresh`, {
    method: 'POST',
    headers: csrfFrom(served.origin),
  })
  expect(res.status).toBe(200)
  const { accessToken } = (await res.json()) as { accessToken: string }
  const sessionId = decodeJwt(accessToken)['sid'] as string
  const sealed = await store.oidcStateStore!().get(`up:${sessionId}`)
  const record = (await createSealer([SECRET]).open('upstream', sealed!, Date.now()))!['r'] as {
    sid: string
  }
  return { sessionId, providerSid: record.sid }
}

const stores: [string, boolean, () => Promise<SessionStore>][] = [
  ['memory', true, async () => memoryStore()],
  [
    'sqlite',
    true,
    async () => {
      const store = sqliteStore({ path: ':memory:', sweepInterval: 0 })
      cleanups.push(() => store.close())
      return store
    },
  ],
  [
    'redis',
    redisAvailable,
    async () => {
      const keyPrefix = uniquePrefix()
      const store = redisStore({ redis: REDIS_URL, keyPrefix })
      cleanups.push(async () => {
        await store.close()
        const redis = new Redis(REDIS_URL)
        await deleteKeys(redis, keyPrefix)
        redis.disconnect()
      })
      return store
    },
  ],
  [
    'postgres',
    postgresAvailable,
    async () => {
      const schema = uniqueSchema()
      const store = postgresStore({ pool: POSTGRES_URL, schema, sweepInterval: 0 })
      cleanups.push(async () => {
        await store.close()
        await dropSchema(schema)
      })
      await store.ready()
      return store
    },
  ],
]

describe.each(stores)('%s store shared by two BFFs on two providers', (_name, available, open) => {
  it.skipIf(!available)(
    'a sub-only logout token from provider A does not end the same-sub user signed in through provider B',
    async () => {
      const store = await open()
      const events = mountBoth(store)
      // "zoe" at provider B is a different person from "zoe" at provider A (sub is per issuer).
      const { agent: atB } = await signInAtProvider(servedB, 'zoe')
      expect(await refreshStatus(servedB, atB)).toBe(200)

      const res = await deliver(servedA, idpA, { sub: 'zoe', jti: `a-sub-${Math.random()}` })
      expect(res.status).toBe(200)
      const ended = events.flatMap((e) => (e.type === 'provider_logout' ? e.sessionIds : []))
      expect({ ended, sessionAtB: await refreshStatus(servedB, atB) }).toEqual({
        ended: [],
        sessionAtB: 200,
      })
    },
  )

  it.skipIf(!available)(
    'a sid-only logout token from provider A does not end provider B’s session holding that sid',
    async () => {
      const store = await open()
      const events = mountBoth(store)
      const { agent: atB } = await signInAtProvider(servedB, 'yan')
      const { providerSid } = await sessionOf(store, servedB, atB)
      expect(providerSid).toMatch(/.+/)

      // Provider A (another tenant, or simply a colliding session id) names the same sid.
      const res = await deliver(servedA, idpA, { sid: providerSid, jti: `a-sid-${Math.random()}` })
      expect(res.status).toBe(200)
      const ended = events.flatMap((e) => (e.type === 'provider_logout' ? e.sessionIds : []))
      expect({ ended, sessionAtB: await refreshStatus(servedB, atB) }).toEqual({
        ended: [],
        sessionAtB: 200,
      })
    },
  )

  it.skipIf(!available)(
    'a jti provider A used does not make provider B’s logout token a replay (B’s logout is not lost)',
    async () => {
      const store = await open()
      mountBoth(store)
      const { agent: atB } = await signInAtProvider(servedB, 'xia')
      const jti = `shared-${Math.random()}`
      // Provider A's own, legitimate, logout (of nobody here) spends the jti first.
      expect((await deliver(servedA, idpA, { sub: 'someone-at-a', jti })).status).toBe(200)
      // Provider B's logout of xia, with a jti that is unique at B.
      const res = await deliver(servedB, idpB, { sub: 'xia', jti })
      expect({ status: res.status, sessionAtB: await refreshStatus(servedB, atB) }).toEqual({
        status: 200,
        sessionAtB: 401,
      })
    },
  )

  it.skipIf(!available)(
    'a session indexed before the issuer scope (unscoped sub: entry) is still ended by its provider',
    async () => {
      const store = await open()
      const events = mountBoth(store)
      const { agent: atB } = await signInAtProvider(servedB, 'wes')
      const { sessionId } = await sessionOf(store, servedB, atB)
      // What an older build left behind: the index entry without the issuer's tag.
      const state = store.oidcStateStore!()
      await state.delete(`iss:${await issuerTag(idpB.issuer)}:sub:wes`)
      await state.addMember('sub:wes', sessionId, 60_000)

      const res = await deliver(servedB, idpB, { sub: 'wes', jti: `legacy-${Math.random()}` })
      expect(res.status).toBe(200)
      const ended = events.flatMap((e) => (e.type === 'provider_logout' ? e.sessionIds : []))
      expect({ ended, sessionAtB: await refreshStatus(servedB, atB) }).toEqual({
        ended: [sessionId],
        sessionAtB: 401,
      })
    },
  )
})
