/**
 * Rate-limit counters live where the sessions live: in the SQLite store's database, in the
 * Redis store's Redis, where three BFF instances share one budget, and in the PostgreSQL store's
 * schema, even when stores of several schemas share one pool.
 */
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { postgresStore, type PostgresStore } from '../src/stores/postgres.js'
import { redisStore, type RedisStore } from '../src/stores/redis.js'
import { sqliteStore } from '../src/stores/sqlite.js'
import type { Authenticate } from '../src/index.js'
import { ALICE, createHarness, passwordOf, type Harness } from './helpers.js'
import { POSTGRES_URL, dropSchema, postgresAvailable, uniqueSchema } from './postgres-helpers.js'
import { REDIS_URL, deleteKeys, redisAvailable, uniquePrefix } from './redis-helpers.js'

const ATTACKER = '203.0.113.9'

const attempt = (h: Harness, username: string, password: string, ip: string) =>
  h.post('/login', {
    ip,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  })

async function statusAndWait(res: Response) {
  return { status: res.status, retryAfter: res.headers.get('retry-after') }
}

/** `alice` and `Alice` are two accounts, whose names the username delay folds onto one. */
const caseSensitive: Authenticate = async ({ username, password }) => {
  if (username === 'alice' && password === passwordOf('alice')) return ALICE
  if (username === 'Alice' && password === 'mallory-owns-this') return { id: 'user-mallory' }
  return null
}

const forgiveness = {
  login: false,
  username: { points: 2, delay: '60s', maxDelay: '60s' },
} as const

/**
 * What a correct password forgives, through `pick(i)`'s BFF for the i-th request: on one network
 * only the attempts of the exact name signed in with (the guess at `alice` stays counted and its
 * window open), on another the owner's own failures, all of them.
 */
async function forgivenStatuses(pick: (i: number) => Harness) {
  let i = 0
  const send = async (username: string, password: string, ip: string) =>
    (await attempt(pick(i++), username, password, ip)).status
  const OWNER = '198.51.100.7'
  return [
    [
      await send('alice', 'guess-1', ATTACKER),
      await send('Alice', 'mallory-owns-this', ATTACKER),
      await send('alice', 'guess-2', ATTACKER),
    ],
    [
      await send('alice', 'typo', OWNER),
      await send('alice', passwordOf('alice'), OWNER),
      await send('alice', 'typo', OWNER),
      await send('alice', 'typo', OWNER),
      await send('alice', 'typo', OWNER),
    ],
  ]
}
const FORGIVEN = [
  [401, 200, 429],
  [401, 200, 401, 401, 429],
]

describe('SQLite store', () => {
  it('keeps the counters in its own database, shared by two BFFs and kept across a new store on the file', async () => {
    const store = sqliteStore({ path: ':memory:', sweepInterval: 0 })
    const rateLimit = { login: { points: 3, duration: '1m' as const } }
    const a = await createHarness({ store, rateLimit })
    const b = await createHarness({ store, rateLimit })

    const answers = [
      await attempt(a, 'alice', 'no', ATTACKER),
      await attempt(b, 'bob', 'no', ATTACKER),
      await attempt(a, 'carol', 'no', ATTACKER),
      await attempt(b, 'dave', 'no', ATTACKER),
    ]
    expect(await Promise.all(answers.map(statusAndWait))).toStrictEqual([
      { status: 401, retryAfter: null },
      { status: 401, retryAfter: null },
      { status: 401, retryAfter: null },
      { status: 429, retryAfter: '60' },
    ])
    const rows = store.database
      .prepare<[], { key: string; points: number }>(
        "SELECT key, points FROM baton_sessions_rate_limits WHERE key LIKE 'ip:login:%'",
      )
      .all()
    expect(rows).toStrictEqual([{ key: `ip:login:${ATTACKER}`, points: 4 }])
    await store.close()
  })

  it('delays a username the same way', async () => {
    const store = sqliteStore({ path: ':memory:', sweepInterval: 0 })
    const h = await createHarness({ store, rateLimit: { login: false, username: { points: 2 } } })
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await attempt(h, 'alice', 'no', ATTACKER)).status)
    expect(statuses).toStrictEqual([401, 401, 429, 429])
    expect((await attempt(h, 'alice', passwordOf('alice'), '198.51.100.7')).status).toBe(200)
    await store.close()
  })

  it('lets a correct password forgive only the failures of the exact username typed', async () => {
    const store = sqliteStore({ path: ':memory:', sweepInterval: 0 })
    const h = await createHarness({ store, authenticate: caseSensitive, rateLimit: forgiveness })
    expect(await forgivenStatuses(() => h)).toStrictEqual(FORGIVEN)
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

  /** Three BFFs, each on its own `redisStore` (own connection) with the same prefix. */
  async function threeInstances(options: Parameters<typeof createHarness>[0]) {
    return Promise.all(
      [0, 1, 2].map(async () => {
        const store = redisStore({ redis: REDIS_URL, keyPrefix: prefix })
        stores.push(store)
        return createHarness({ store, ...options })
      }),
    )
  }

  it('shares one per-address budget between three BFF instances', async () => {
    const instances = await threeInstances({ rateLimit: { login: { points: 5, duration: '1m' } } })
    const statuses: number[] = []
    for (let i = 0; i < 9; i++) {
      const res = await attempt(instances[i % 3]!, `user${i}`, 'no', ATTACKER)
      statuses.push(res.status)
    }
    expect(statuses).toStrictEqual([401, 401, 401, 401, 401, 429, 429, 429, 429])
    expect(Number(await admin.get(`${prefix}rl:ip:login:${ATTACKER}`))).toBe(9)
    const ttl = await admin.pttl(`${prefix}rl:ip:login:${ATTACKER}`)
    expect(ttl).toBeGreaterThan(55_000)
    expect(ttl).toBeLessThanOrEqual(60_000)
  })

  it('shares the username delay between three instances, and the owner still signs in from elsewhere', async () => {
    const instances = await threeInstances({ rateLimit: { login: false, username: { points: 4 } } })
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) {
      statuses.push((await attempt(instances[i % 3]!, 'alice', `guess${i}`, ATTACKER)).status)
    }
    expect(statuses).toStrictEqual([...Array(4).fill(401), ...Array(8).fill(429)])
    const owner = await attempt(instances[1]!, 'alice', passwordOf('alice'), '198.51.100.7')
    expect(owner.status).toBe(200)
  })

  it('lets a correct password forgive only the failures of the exact username typed, across instances', async () => {
    const instances = await threeInstances({
      authenticate: caseSensitive,
      rateLimit: forgiveness,
    })
    expect(await forgivenStatuses((i) => instances[i % 3]!)).toStrictEqual(FORGIVEN)
  })

  it('answers 503 store_unavailable, not a free pass, when Redis cannot count', async () => {
    const store = redisStore({ redis: REDIS_URL, keyPrefix: prefix })
    stores.push(store)
    const h = await createHarness({ store })
    store.client.disconnect()
    const res = await attempt(h, 'alice', 'no', ATTACKER)
    expect(res.status).toBe(503)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('store_unavailable')
    expect(h.eventsOf('login_failed')).toStrictEqual([])
  })
})

describe.skipIf(!postgresAvailable)('PostgreSQL store', () => {
  const schemas: string[] = []
  const stores: PostgresStore[] = []
  let pool: pg.Pool | undefined
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()))
    await pool?.end()
    pool = undefined
    for (const schema of schemas.splice(0)) await dropSchema(schema)
  })

  it('counts in each schema of its own when stores of two schemas share one pool', async () => {
    // One connection: both limiters' prepared statements land on it.
    pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 })
    const statuses: number[] = []
    for (const schema of [uniqueSchema(), uniqueSchema()]) {
      schemas.push(schema)
      const store = postgresStore({ pool, schema, sweepInterval: 0 })
      stores.push(store)
      const h = await createHarness({ store, rateLimit: { login: { points: 5, duration: '1m' } } })
      statuses.push((await attempt(h, 'alice', passwordOf('alice'), ATTACKER)).status)
      statuses.push((await attempt(h, 'alice', 'no', ATTACKER)).status)
    }
    expect(statuses).toStrictEqual([200, 401, 200, 401])
    for (const schema of schemas) {
      const { rows } = await pool.query<{ points: number }>(
        `SELECT points FROM "${schema}".baton_sessions_rate_limits WHERE key LIKE '%login%${ATTACKER}'`,
      )
      // The failure's point; the sign-in's was given back.
      expect(rows).toStrictEqual([{ points: 1 }])
    }
  })

  it('lets a correct password forgive only the failures of the exact username typed', async () => {
    const schema = uniqueSchema()
    schemas.push(schema)
    const store = postgresStore({ pool: POSTGRES_URL, schema, sweepInterval: 0 })
    stores.push(store)
    const h = await createHarness({ store, authenticate: caseSensitive, rateLimit: forgiveness })
    expect(await forgivenStatuses(() => h)).toStrictEqual(FORGIVEN)
  })
})
