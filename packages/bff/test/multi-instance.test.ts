/**
 * Three BFF processes on different loopback ports, sharing one store (Redis, PostgreSQL, then a
 * three-master Redis Cluster) and
 * one set of signing keys, driven round-robin as a load balancer would.
 */
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKey, type SessionStore } from '../src/index.js'
import { postgresStore } from '../src/stores/postgres.js'
import { redisStore } from '../src/stores/redis.js'
import { hashRefreshToken } from '../src/tokens/refresh.js'
import {
  login,
  me,
  post,
  sessions,
  startInstance,
  type Instance,
  type Tokens,
} from './instances.js'
import { POSTGRES_URL, dropSchema, postgresAvailable, uniqueSchema } from './postgres-helpers.js'
import { redisClusterBinaries, startRedisCluster } from './redis-cluster-helpers.js'
import { REDIS_URL, deleteKeys, redisAvailable, uniquePrefix } from './redis-helpers.js'

const clusterBinaries = redisClusterBinaries()

/** A shared store for the three processes: their environment, and a view of it for the test. */
interface SharedBackend {
  name: string
  available: boolean
  /** How the instances reach it, and how the test inspects it and cleans up. */
  open: () => Promise<{
    env: Record<string, string>
    inspect: SessionStore
    cleanup: () => Promise<void>
  }>
  /** How revocations reach the other instances, for the log line. */
  delivery: string
}

const backends: SharedBackend[] = [
  {
    name: 'Redis',
    available: redisAvailable,
    delivery: 'Redis pub/sub',
    async open() {
      const prefix = uniquePrefix()
      const admin = new Redis(REDIS_URL)
      return {
        env: { BATON_STORE: 'redis', BATON_REDIS_URL: REDIS_URL, BATON_REDIS_PREFIX: prefix },
        inspect: redisStore({ redis: admin, keyPrefix: prefix }),
        cleanup: async () => {
          await deleteKeys(admin, prefix)
          await admin.quit()
        },
      }
    },
  },
  {
    name: 'PostgreSQL',
    available: postgresAvailable,
    delivery: 'LISTEN/NOTIFY',
    async open() {
      const schema = uniqueSchema()
      return {
        env: {
          BATON_STORE: 'postgres',
          BATON_POSTGRES_URL: POSTGRES_URL,
          BATON_POSTGRES_SCHEMA: schema,
        },
        inspect: postgresStore({ pool: POSTGRES_URL, schema, sweepInterval: 0 }),
        cleanup: () => dropSchema(schema),
      }
    },
  },
  {
    name: 'Redis Cluster',
    available: clusterBinaries !== null,
    delivery: 'cluster pub/sub',
    async open() {
      // Three masters of its own, on loopback ports, for this suite only.
      const cluster = await startRedisCluster(clusterBinaries!)
      const nodes = cluster.nodes.map(({ host, port }) => `${host}:${port}`).join(',')
      return {
        env: {
          BATON_STORE: 'redis-cluster',
          BATON_REDIS_CLUSTER: nodes,
          BATON_REDIS_PREFIX: 'mi:',
        },
        inspect: redisStore({ redis: { cluster: [...cluster.nodes] }, keyPrefix: 'mi:' }),
        cleanup: () => cluster.stop(),
      }
    },
  },
]

describe.each(backends)('three BFF instances sharing one $name', (backend) => {
  if (!backend.available) return void it.skip(`${backend.name} is not reachable`)
  const running: Instance[] = []
  let instances: Instance[] = []
  let a: Instance, b: Instance, c: Instance
  // Reads the shared state directly, as an operator would.
  let inspect: SessionStore
  let cleanup: (() => Promise<void>) | undefined

  beforeAll(async () => {
    const shared = await backend.open()
    inspect = shared.inspect
    cleanup = shared.cleanup
    const env = {
      ...shared.env,
      BATON_SIGNING_KEYS: JSON.stringify([await generateSigningKey('ES256')]),
    }
    // One at a time: the first creates the PostgreSQL schema, the others find it (starting them
    // together is the migration test's subject, not this one's).
    for (const name of ['A', 'B', 'C']) {
      const instance = await startInstance(name, env)
      // Tracked as soon as it runs, so afterAll stops it even if another one failed to start.
      running.push(instance)
    }
    instances = [...running]
    ;[a, b, c] = running as [Instance, Instance, Instance]
  }, 60_000)

  afterAll(async () => {
    await Promise.all(running.map((instance) => instance.stop()))
    await inspect?.close()
    await cleanup?.()
  })

  /** Polls until `check` holds; returns how long that took, in ms. */
  async function timeUntil(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<number> {
    const start = performance.now()
    while (!(await check())) {
      if (performance.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms`)
    }
    return performance.now() - start
  }

  it('detects reuse of a rotated refresh token on another instance', async () => {
    const first = await login(a, 'reuse-user')
    const refreshed = await post(b, '/refresh', { cookie: first.cookie })
    expect(refreshed.status).toBe(200)
    const second = refreshed.tokens!

    // Inside the grace window a duplicate is a lost response or a second tab: C hands out the
    // successor B minted, so the family does not split.
    const duplicate = await post(c, '/refresh', { cookie: first.cookie })
    expect(duplicate.status).toBe(200)
    expect(duplicate.tokens?.cookie).toBe(second.cookie)

    // One more rotation on A: the first token is now neither current nor previous.
    const third = await post(a, '/refresh', { cookie: second.cookie })
    expect(third.status).toBe(200)

    const replay = await post(c, '/refresh', { cookie: first.cookie })
    expect(replay).toMatchObject({ status: 401, code: 'refresh_token_reused' })
    for (const instance of [a, b, c]) {
      expect(await post(instance, '/refresh', { cookie: third.tokens!.cookie })).toMatchObject({
        status: 401,
        code: 'refresh_token_reused',
      })
    }
    expect(await inspect.get(first.sessionId)).toMatchObject({ revokedReason: 'reuse_detected' })
    // Every instance learns of the revocation and refuses the family's access tokens.
    for (const instance of [a, b, c]) {
      await timeUntil(async () => (await me(instance, third.tokens!.accessToken)) === 401)
    }
  })

  it('refuses the sessions on A and C after logout everywhere on B', async () => {
    const onA = await login(a, 'everywhere-user')
    const onC = await login(c, 'everywhere-user')
    for (const instance of [a, b, c]) {
      expect(await me(instance, onA.accessToken)).toBe(200)
      expect(await me(instance, onC.accessToken)).toBe(200)
    }

    // Poll A and C from the moment the logout leaves: each poll is one HTTP round trip.
    const start = performance.now()
    const refused = [a, c].flatMap((instance) =>
      [onA, onC].map(async (tokens) => {
        await timeUntil(async () => (await me(instance, tokens.accessToken)) === 401)
        return `${instance.name} ${(performance.now() - start).toFixed(1)} ms`
      }),
    )
    const logout = await post(b, '/logout', { cookie: onA.cookie, body: { everywhere: true } })
    const logoutMs = performance.now() - start
    expect(logout.status).toBe(204)
    // requireAuth on A and C hears of it through the store's feed, long before the tokens expire.
    const delays = await Promise.all(refused)
    console.log(
      `[baton] ${backend.name}: logout everywhere on B (${logoutMs.toFixed(1)} ms) → access tokens refused by ` +
        `requireAuth({ checkRevoked }) on other instances via ${backend.delivery}, from sending the logout: ${delays.join(', ')}`,
    )

    for (const [instance, tokens] of [
      [a, onA],
      [c, onC],
      [a, onC],
    ] as const) {
      expect(await post(instance, '/refresh', { cookie: tokens.cookie })).toMatchObject({
        status: 401,
        code: 'session_revoked',
      })
      expect(await sessions(instance, tokens.accessToken)).toBe(401)
    }
  })

  it('neither loses nor splits sessions under 200 concurrent refreshes for 50 users', async () => {
    let turn = 0
    const nextInstance = () => instances[turn++ % instances.length]!
    const users = Array.from({ length: 50 }, (_, i) => `storm-user-${i}`)
    const logins = new Map<string, Tokens>()
    for (const user of users) logins.set(user, await login(nextInstance(), user))

    // Four tabs per user refresh at once with the same cookie, each through the next instance.
    const requests = users.flatMap((user) =>
      Array.from({ length: 4 }, () => ({ user, instance: nextInstance() })),
    )
    const started = performance.now()
    const results = await Promise.all(
      requests.map(({ user, instance }) =>
        post(instance, '/refresh', { cookie: logins.get(user)!.cookie }).then((r) => ({ user, r })),
      ),
    )
    console.log(
      `[baton] ${backend.name}: 200 concurrent refreshes (50 users × 4) over 3 instances: ` +
        `${(performance.now() - started).toFixed(0)} ms`,
    )

    expect(results.map(({ r }) => r.status)).toStrictEqual(Array(200).fill(200))
    for (const user of users) {
      const { sessionId } = logins.get(user)!
      const cookies = new Set(
        results.filter((x) => x.user === user).map(({ r }) => r.tokens!.cookie),
      )
      // No split: every concurrent request of a session received the same successor.
      expect(cookies.size).toBe(1)
      const [cookie] = cookies
      // Exactly one valid refresh token: the store's current hash is that cookie's, one rotation on.
      const session = await inspect.get(sessionId)
      expect(session).toMatchObject({
        tokenHash: hashRefreshToken(cookie!),
        generation: 1,
        revokedAt: null,
      })
      expect(await inspect.listByUser(user, Date.now())).toHaveLength(1)
    }

    // No session lost: every successor refreshes again, on yet another instance.
    const again = await Promise.all(
      users.map(async (user) => {
        const cookie = results.find((x) => x.user === user)!.r.tokens!.cookie
        return post(nextInstance(), '/refresh', { cookie })
      }),
    )
    expect(again.map((r) => r.status)).toStrictEqual(Array(50).fill(200))
  }, 30_000)
})
