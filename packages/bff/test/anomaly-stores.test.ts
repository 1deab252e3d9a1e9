/**
 * Issue 13, item 2: a revocation for an anomaly (reason `anomaly`) is written and read back by
 * the persistent stores, and every BFF sharing the store then refuses the session.
 */
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { redisStore, type RedisStore } from '../src/stores/redis.js'
import { sqliteStore } from '../src/stores/sqlite.js'
import type { SessionStore } from '../src/stores/types.js'
import { createHarness, expectError, type Harness } from './helpers.js'
import { REDIS_URL, deleteKeys, redisAvailable, uniquePrefix } from './redis-helpers.js'

const CHROME = { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0.0.0' }
const FIREFOX = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Firefox/121.0' }

/** Signs Alice in on `h` with Chrome, then presents her cookie from Firefox. */
async function stolenCookie(h: Harness) {
  const login = await h.login('alice', { headers: CHROME, ip: '203.0.113.7' })
  const res = await h.refresh(login.cookie, { headers: FIREFOX, ip: '203.0.113.7' })
  await expectError(res, 401, 'session_revoked')
  return login
}

async function expectAnomalyRevoked(store: SessionStore, sessionId: string) {
  const session = await store.get(sessionId)
  expect([session?.revokedReason, typeof session?.revokedAt]).toStrictEqual(['anomaly', 'number'])
}

describe('SQLite store', () => {
  it('keeps the reason anomaly across a read', async () => {
    const store = sqliteStore({ path: ':memory:', sweepInterval: 0 })
    const h = await createHarness({ store })

    const login = await stolenCookie(h)

    await expectAnomalyRevoked(store, login.body.sessionId)
    await expectError(await h.refresh(login.cookie, { headers: CHROME }), 401, 'session_revoked')
    await store.close()
  })
})

describe.skipIf(!redisAvailable)('Redis store', () => {
  const prefix = uniquePrefix()
  let admin: Redis
  const stores: RedisStore[] = []

  beforeAll(() => {
    admin = new Redis(REDIS_URL)
  })
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()))
    await deleteKeys(admin, prefix)
  })
  afterAll(async () => {
    await admin.quit()
  })

  it('keeps the reason anomaly, and another instance refuses the session', async () => {
    // The harness's own `store` field is its default memory store, so keep ours.
    const [a, b] = [0, 1].map(() => redisStore({ redis: REDIS_URL, keyPrefix: prefix }))
    stores.push(a!, b!)
    const first = await createHarness({ store: a! })
    const second = await createHarness({ store: b! })

    const login = await stolenCookie(first)

    await expectAnomalyRevoked(b!, login.body.sessionId)
    await expectError(
      await second.refresh(login.cookie, { headers: CHROME, ip: '203.0.113.7' }),
      401,
      'session_revoked',
    )
  })
})
