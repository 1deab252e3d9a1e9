/**
 * Issue 13, item 4: administrator operations. `bff.admin.listUserSessions`, and `revokeAll()`: one
 * epoch write, not a scan, that ends every session at refresh and every older access token at
 * every instance's `requireAuth`, including another instance sharing a Redis store.
 */
import { Hono } from 'hono'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createBff,
  createSigningKeys,
  generateSigningKey,
  type RequireAuthVariables,
} from '../src/index.js'
import { redisStore, type RedisStore } from '../src/stores/redis.js'
import {
  ALICE,
  authenticate,
  BOB,
  client,
  createHarness,
  CSRF,
  expectError,
  passwordOf,
  SECOND,
  T0,
  type Requester,
} from './helpers.js'
import { REDIS_URL, deleteKeys, redisAvailable, uniquePrefix } from './redis-helpers.js'

/** An app with the BFF at `/` and `GET /api/me` behind `bff.requireAuth()`. */
function withApi(bff: ReturnType<typeof createBff>) {
  const app = new Hono<{ Variables: RequireAuthVariables }>()
  app.route('/', bff)
  app.get('/api/me', bff.requireAuth(), (c) => c.json({ id: c.var.userId }))
  return app
}

const me = (app: Requester, token: string) =>
  client(app).send('/api/me', { headers: { authorization: `Bearer ${token}` } })

describe('bff.admin.listUserSessions', () => {
  it('lists the live sessions of one user, oldest first, without token material', async () => {
    const h = await createHarness()
    const first = await h.login('alice', { headers: { 'user-agent': 'Firefox' } })
    h.clock.advance(SECOND)
    const second = await h.login('alice')
    await h.login('bob')
    await h.logout(second.cookie)

    expect(await h.bff.admin.listUserSessions(ALICE.id)).toStrictEqual([
      {
        id: first.body.sessionId,
        userId: ALICE.id,
        user: ALICE,
        createdAt: T0,
        lastUsedAt: T0,
        expiresAt: T0 + 30 * 24 * 3600 * SECOND,
        idleExpiresAt: T0 + 24 * 3600 * SECOND,
        userAgent: 'Firefox',
        ip: null,
        authTime: T0,
        amr: ['pwd'],
        acr: null,
        generation: 0,
      },
    ])
    expect(await h.bff.admin.listUserSessions('nobody')).toStrictEqual([])
    await expect(h.bff.admin.listUserSessions('')).rejects.toThrow(
      new TypeError('admin.listUserSessions: userId must be a non-empty string'),
    )
  })
})

describe('bff.admin.revokeAll', () => {
  it('ends every session at refresh and every older token at requireAuth, with one event', async () => {
    const h = await createHarness()
    const app = withApi(h.bff)
    h.clock.advance(400)
    const alice = await h.login('alice')
    const bob = await h.login('bob')

    const epoch = await h.bff.admin.revokeAll()

    // The next whole second: tokens say `iat` in seconds, so both checks agree exactly.
    expect(epoch).toBe(T0 + SECOND)
    expect(h.eventsOf('revoked_all')).toStrictEqual([
      { type: 'revoked_all', epoch, at: T0 + 400, ip: null, userAgent: null },
    ])
    await expectError(await me(app, alice.body.accessToken), 401, 'invalid_token')
    await expectError(await me(app, bob.body.accessToken), 401, 'invalid_token')
    for (const cookie of [alice.cookie, bob.cookie]) {
      const res = await h.refresh(cookie)
      expect(res.headers.getSetCookie()).toHaveLength(2) // the browser drops the dead cookie
      await expectError(res, 401, 'session_revoked')
    }
    expect(await h.bff.admin.listUserSessions(ALICE.id)).toStrictEqual([])
    // Nothing was scanned: the records themselves are untouched.
    expect((await h.store.get(alice.body.sessionId))?.revokedAt).toBeNull()

    // From the epoch on, signing in works again.
    h.clock.advance(SECOND)
    const again = await h.login('alice')
    expect((await me(app, again.body.accessToken)).status).toBe(200)
    expect((await h.refreshOk(again.cookie)).res.status).toBe(200)
  })

  it('also ends the devices list and step-up for older sessions', async () => {
    const h = await createHarness()
    const alice = await h.login('alice')
    await h.bff.admin.revokeAll()
    await expectError(await h.listSessions(alice.body.accessToken), 401, 'invalid_token')
    const res = await h.send('/auth/reauthenticate', {
      method: 'POST',
      headers: {
        ...CSRF,
        authorization: `Bearer ${alice.body.accessToken}`,
        cookie: `__Host-baton_rt=${alice.cookie}`,
      },
      body: JSON.stringify({ username: 'alice', password: passwordOf('alice') }),
    })
    await expectError(res, 401, 'session_revoked')
  })

  it('reaches a requireAuth created after the call (it reads the epoch when it subscribes)', async () => {
    const h = await createHarness()
    const alice = await h.login('alice')
    await h.bff.admin.revokeAll()
    await expectError(await me(withApi(h.bff), alice.body.accessToken), 401, 'invalid_token')
  })
})

describe.skipIf(!redisAvailable)('admin revocations across instances (Redis)', () => {
  let admin: Redis
  const prefix = uniquePrefix()
  const stores: RedisStore[] = []
  let apps: Hono<{ Variables: RequireAuthVariables }>[]
  let bffs: ReturnType<typeof createBff>[]

  beforeAll(async () => {
    admin = new Redis(REDIS_URL)
    const keys = createSigningKeys({ keys: [await generateSigningKey('ES256')] })
    bffs = [0, 1].map(() => {
      const store = redisStore({ redis: REDIS_URL, keyPrefix: prefix })
      stores.push(store)
      return createBff({
        keys,
        store,
        authenticate,
        logger: { warn: () => {}, error: () => {} },
      })
    })
    apps = bffs.map(withApi)
    // No wait for the feeds: a subscriber that connects late replays the revocations and the
    // epoch, so the tests hold either way.
  })
  afterAll(async () => {
    for (const store of stores) await store.close()
    await deleteKeys(admin, prefix)
    await admin.quit()
  })

  it('a user revoked on instance A is refused by requireAuth on instance B', async () => {
    const [a, b] = apps as [Hono<{ Variables: RequireAuthVariables }>, (typeof apps)[number]]
    const { body } = await client(b).login('bob')
    expect((await me(b, body.accessToken)).status).toBe(200)

    await bffs[0]!.admin.revokeUser(BOB.id)

    await vi.waitFor(async () => expect((await me(b, body.accessToken)).status).toBe(401))
    expect((await me(a, body.accessToken)).status).toBe(401)
  })

  it('revokeAll on instance A is refused by requireAuth on instance B, then sign-in works', async () => {
    const [a, b] = apps as [Hono<{ Variables: RequireAuthVariables }>, (typeof apps)[number]]
    const { body, cookie } = await client(a).login('alice')
    expect((await me(b, body.accessToken)).status).toBe(200)

    const epoch = await bffs[0]!.admin.revokeAll()
    expect(await stores[1]!.getRevocationEpoch()).toBe(epoch)

    await vi.waitFor(async () => {
      const res = await me(b, body.accessToken)
      expect(res.status).toBe(401)
    })
    await expectError(await client(b).refresh(cookie), 401, 'session_revoked')

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, epoch - Date.now() + 5)))
    const fresh = await client(b).login('alice')
    expect((await me(a, fresh.body.accessToken)).status).toBe(200)
  })
})
