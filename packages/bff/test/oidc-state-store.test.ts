/**
 * The `OidcStateStore` contract on every backend: the standalone memory and Redis stores, and the
 * one each built-in session store offers (`store.oidcStateStore()`: memory, SQLite, Redis,
 * PostgreSQL). Single use through `claim`, leases released by their holder only, sets that keep
 * their longest lifetime, keys that expire.
 */
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { memoryStore } from '../src/index.js'
import {
  memoryOidcStateStore,
  redisOidcStateStore,
  type OidcStateStore,
} from '../src/oidc/index.js'
import { postgresStore, type PostgresStore } from '../src/stores/postgres.js'
import { redisStore } from '../src/stores/redis.js'
import { sqliteStore } from '../src/stores/sqlite.js'
import type { SessionStore } from '../src/stores/types.js'
import { POSTGRES_URL, dropSchema, postgresAvailable, uniqueSchema } from './postgres-helpers.js'
import { REDIS_URL, deleteKeys, redisAvailable, uniquePrefix } from './redis-helpers.js'
import { sessionRecord } from './store-contract.js'

function contract(
  name: string,
  make: () => OidcStateStore | Promise<OidcStateStore>,
  wait: (ms: number) => Promise<void>,
) {
  describe(name, () => {
    it('set, get, delete; a set value replaces the previous one', async () => {
      const store = await make()
      await store.set('k', 'v', 10_000)
      expect(await store.get('k')).toBe('v')
      await store.set('k', 'w', 10_000)
      expect(await store.get('k')).toBe('w')
      await store.delete('k')
      expect(await store.get('k')).toBeNull()
      await store.delete('never-there')
      expect(await store.get('never-there')).toBeNull()
    })

    it('claim: of concurrent callers exactly one wins, and the winner’s value is kept', async () => {
      const store = await make()
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.claim('once', String(i), 10_000)),
      )
      expect(results.filter(Boolean)).toHaveLength(1)
      expect(await store.get('once')).toBe(String(results.indexOf(true)))
    })

    it('release: only the holder frees the lease', async () => {
      const store = await make()
      expect(await store.claim('lease', 'a', 10_000)).toBe(true)
      await store.release('lease', 'b')
      expect(await store.claim('lease', 'b', 10_000)).toBe(false)
      await store.release('lease', 'a')
      expect(await store.claim('lease', 'b', 10_000)).toBe(true)
    })

    it('keys expire, and an expired key can be claimed again', async () => {
      const store = await make()
      await store.set('short', 'v', 50)
      expect(await store.claim('gone', 'v', 50)).toBe(true)
      await store.addMember('brief', 'a', 50)
      await wait(80)
      expect(await store.get('short')).toBeNull()
      expect(await store.members('brief')).toEqual([])
      expect(await store.claim('gone', 'w', 50)).toBe(true)
      expect(await store.get('gone')).toBe('w')
    })

    it('sets: members accumulate once each, and the longest lifetime is kept', async () => {
      const store = await make()
      await store.addMember('set', 'a', 10_000)
      await store.addMember('set', 'b', 50)
      await store.addMember('set', 'a', 50)
      await wait(80)
      expect((await store.members('set')).sort()).toEqual(['a', 'b'])
      expect(await store.members('absent')).toEqual([])
    })
  })
}

const fakeClock = () => {
  let at = 1_000_000
  return { now: () => at, wait: async (ms: number) => void (at += ms) }
}
/** Back-channel logout's revocation reason survives the store's encoding (a new reason, issue 16). */
async function revokedByProvider(store: SessionStore) {
  const now = Date.now()
  const session = sessionRecord('u-provider', now)
  await store.create(session, now)
  expect(await store.revoke(session.id, 'provider_logout', now + 1)).not.toBeNull()
  expect(await store.get(session.id)).toMatchObject({
    revokedReason: 'provider_logout',
    revokedAt: now + 1,
  })
}

const realWait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

{
  const clock = fakeClock()
  contract('memoryOidcStateStore', () => memoryOidcStateStore({ now: clock.now }), clock.wait)
}

describe('every built-in session store offers one', () => {
  const memoryClock = fakeClock()
  contract(
    'memoryStore().oidcStateStore()',
    () => memoryStore({ now: memoryClock.now }).oidcStateStore!(),
    memoryClock.wait,
  )

  const sqliteClock = fakeClock()
  const sqlite: SessionStore[] = []
  afterAll(async () => {
    for (const store of sqlite) await store.close()
  })
  contract(
    'sqliteStore().oidcStateStore()',
    () => {
      const store = sqliteStore({ path: ':memory:', now: sqliteClock.now, sweepInterval: 0 })
      sqlite.push(store)
      return store.oidcStateStore!()
    },
    sqliteClock.wait,
  )

  it('is made once per store: every BFF on the store shares it', () => {
    const store = memoryStore()
    expect(store.oidcStateStore!()).toBe(store.oidcStateStore!())
  })

  it('SQLite: a session revoked by the provider (provider_logout) reads back as such', async () => {
    const store = sqliteStore({ path: ':memory:', sweepInterval: 0 })
    sqlite.push(store)
    await revokedByProvider(store)
  })

  it('SQLite: survives a restart of the process (the same file)', async () => {
    const path = `${process.env['TMPDIR'] ?? '/tmp'}/baton-oidc-${process.pid}-${Date.now()}.db`
    const first = sqliteStore({ path, sweepInterval: 0 })
    await first.oidcStateStore!().set('up:s1', 'sealed', 60_000)
    await first.close()
    const second = sqliteStore({ path, sweepInterval: 0 })
    try {
      expect(await second.oidcStateStore!().get('up:s1')).toBe('sealed')
    } finally {
      await second.close()
      const { rm } = await import('node:fs/promises')
      await Promise.all(['', '-wal', '-shm'].map((end) => rm(path + end, { force: true })))
    }
  })
})

describe.skipIf(!redisAvailable)('redis', () => {
  const redis = redisAvailable ? new Redis(REDIS_URL) : null
  const prefix = uniquePrefix()
  const stores: SessionStore[] = []
  afterAll(async () => {
    for (const store of stores) await store.close()
    if (!redis) return
    await deleteKeys(redis, prefix)
    redis.disconnect()
  })
  let n = 0
  contract(
    'redisOidcStateStore',
    () => redisOidcStateStore({ redis: redis!, keyPrefix: `${prefix}${n++}:` }),
    realWait,
  )
  contract(
    'redisStore().oidcStateStore()',
    () => {
      const store = redisStore({ redis: REDIS_URL, keyPrefix: `${prefix}s${n++}:` })
      stores.push(store)
      return store.oidcStateStore!()
    },
    realWait,
  )

  it('a session revoked by the provider (provider_logout) reads back as such', async () => {
    const store = redisStore({ redis: REDIS_URL, keyPrefix: `${prefix}r${n++}:` })
    stores.push(store)
    await revokedByProvider(store)
  })

  it('keeps its keys under the session store’s prefix', async () => {
    const keyPrefix = `${prefix}own:`
    const store = redisStore({ redis: REDIS_URL, keyPrefix })
    stores.push(store)
    await store.oidcStateStore!().set('tx:1', 'v', 10_000)
    expect(await redis!.get(`${keyPrefix}oidc:tx:1`)).toBe('v')
  })
})

describe.skipIf(!postgresAvailable)('postgres', () => {
  const schemas: string[] = []
  const stores: PostgresStore[] = []
  afterAll(async () => {
    for (const store of stores) await store.close()
    for (const schema of schemas) await dropSchema(schema)
  })
  const open = (now?: () => number, schema = uniqueSchema()) => {
    if (!schemas.includes(schema)) schemas.push(schema)
    const store = postgresStore({
      pool: POSTGRES_URL,
      schema,
      sweepInterval: 0,
      ...(now ? { now } : {}),
    })
    stores.push(store)
    return store
  }
  const clock = fakeClock()
  contract('postgresStore().oidcStateStore()', () => open(clock.now).oidcStateStore!(), clock.wait)

  it('a session revoked by the provider (provider_logout) reads back as such', async () => {
    await revokedByProvider(open())
  })

  it('claim is single use across instances (two pools on one schema)', async () => {
    const schema = uniqueSchema()
    const a = open(undefined, schema)
    await a.ready()
    const b = open(undefined, schema)
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a : b).oidcStateStore!().claim('jti:x', String(i), 60_000),
      ),
    )
    expect(results.filter(Boolean)).toHaveLength(1)
  })

  it('the sweep deletes expired rows', async () => {
    const at = fakeClock()
    const store = open(at.now)
    const state = store.oidcStateStore!()
    await state.set('old', 'v', 50)
    await state.set('new', 'v', 60_000)
    await at.wait(100)
    await store.sweep(at.now())
    const { rows } = await store.pool.query<{ key: string }>(
      `SELECT key FROM "${schemas.at(-1)!}".baton_sessions_oidc ORDER BY key`,
    )
    expect(rows).toEqual([{ key: 'new' }])
  })
})
