/**
 * Device binding on every store, with two BFF instances sharing it: the key thumbprint persists,
 * a proof spent at one instance is refused at the other (the replay cache lives in the store), and
 * a copied cookie signed with another key revokes the session for both. Memory (one store, two
 * BFFs), SQLite (two handles on one file) and Redis (two connections, one key prefix).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { SessionStore } from '../src/index.js'
import { memoryStore } from '../src/stores/memory.js'
import { redisStore } from '../src/stores/redis.js'
import { sqliteStore } from '../src/stores/sqlite.js'
import { deviceKey, proof } from './dpop-helpers.js'
import { createHarness, expectError, testClock } from './helpers.js'
import { REDIS_URL, deleteKeys, redisAvailable, uniquePrefix } from './redis-helpers.js'

/** Two stores that are one (the same data), and how to dispose of them. */
interface SharedStore {
  a: SessionStore
  b: SessionStore
  cleanup(): Promise<void>
}

function describeTwoInstances(name: string, make: () => Promise<SharedStore>) {
  describe(`two instances on ${name}`, () => {
    let shared: SharedStore
    afterEach(async () => {
      await shared.cleanup()
    })

    const setUp = async () => {
      shared = await make()
      const clock = testClock()
      const a = await createHarness({ store: shared.a, now: clock.now })
      const b = await createHarness({ store: shared.b, now: clock.now })
      const key = await deviceKey()
      const { body, cookie } = await a.login('alice', {
        headers: { dpop: await proof(key, { htu: '/auth/login', at: clock.now() }) },
      })
      return { a, b, key, clock, body, cookie }
    }

    it('persists the binding and refuses at B a proof spent at A', async () => {
      const { a, b, key, clock, body, cookie } = await setUp()
      expect((await shared.b.get(body.sessionId))?.jkt).toBe(key.jkt)
      const once = await proof(key, { at: clock.now() })
      const first = await a.refreshOk(cookie, { headers: { dpop: once } })
      const replayed = await b.refresh(first.cookie, { headers: { dpop: once } })
      expect(replayed.headers.get('www-authenticate')).toBe(
        'DPoP error="invalid_dpop_proof", error_description="The DPoP proof was already used", algs="ES256"',
      )
      await expectError(replayed, 401, 'invalid_dpop_proof')
      const second = await b.refreshOk(first.cookie, {
        headers: { dpop: await proof(key, { at: clock.now() }) },
      })
      expect(second.body.tokenType).toBe('DPoP')
    })

    it('revokes the session everywhere when B sees the cookie signed by another key', async () => {
      const { a, b, key, clock, body, cookie } = await setUp()
      const stolen = await b.refresh(cookie, {
        headers: { dpop: await proof(await deviceKey(), { at: clock.now() }) },
      })
      await expectError(stolen, 401, 'session_revoked')
      expect(b.eventsOf('binding_mismatch').map((e) => e.sessionId)).toStrictEqual([body.sessionId])
      expect((await shared.a.get(body.sessionId))?.revokedReason).toBe('binding_mismatch')
      const owner = await a.refresh(cookie, {
        headers: { dpop: await proof(key, { at: clock.now() }) },
      })
      await expectError(owner, 401, 'session_revoked')
    })
  })
}

describeTwoInstances('memory', async () => {
  const store = memoryStore({ sweepInterval: 0 })
  return { a: store, b: store, cleanup: () => store.close() }
})

describe('sqlite', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-dpop-'))
  })
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })
  describeTwoInstances('sqlite', async () => {
    const path = join(dir, `${Math.random().toString(36).slice(2)}.db`)
    const a = sqliteStore({ path, sweepInterval: 0 })
    const b = sqliteStore({ path, sweepInterval: 0 })
    return {
      a,
      b,
      cleanup: async () => {
        await a.close()
        await b.close()
      },
    }
  })
})

describe.skipIf(!redisAvailable)('redis', () => {
  let admin: Redis
  beforeAll(() => {
    admin = new Redis(REDIS_URL)
  })
  afterAll(async () => {
    await admin.quit()
  })
  describeTwoInstances('redis', async () => {
    const prefix = uniquePrefix()
    const a = redisStore({ redis: REDIS_URL, keyPrefix: prefix })
    const b = redisStore({ redis: REDIS_URL, keyPrefix: prefix })
    return {
      a,
      b,
      cleanup: async () => {
        await a.close()
        await b.close()
        await deleteKeys(admin, prefix)
      },
    }
  })
})
