/**
 * What only the Redis store promises, beyond the shared contract: key layout and TTLs, an index
 * read without scanning the keyspace, revocations crossing instances (with the measured delay),
 * replay for late or reconnecting subscribers, client ownership, and the compact encoding of a
 * session's hash (its bytes at scale are measured by the benchmark, `bench/scale`).
 */
import { Hono } from 'hono'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createBff,
  createSigningKeys,
  generateSigningKey,
  requireAuth,
  type RequireAuthVariables,
  type SigningKeys,
} from '../src/index.js'
import { EXPIRED_SESSION_RETENTION_MS } from '../src/stores/types.js'
import { redisStore, type RedisStore, type RedisStoreOptions } from '../src/stores/redis.js'
import type { StoredSession } from '../src/stores/types.js'
import { REDIS_URL, deleteKeys, redisAvailable, uniquePrefix } from './redis-helpers.js'
import { rotationOf, sessionRecord } from './store-contract.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

describe.skipIf(!redisAvailable)('redisStore', () => {
  let admin: Redis
  const opened: RedisStore[] = []
  const prefixes: string[] = []

  /** A store on a fresh prefix (or a given one, to share it), closed and cleaned after the test. */
  const open = (
    prefix = uniquePrefix(),
    options: Pick<
      RedisStoreOptions,
      'revocationReplay' | 'waitForReplicas' | 'expiredRetention'
    > = {},
  ) => {
    prefixes.push(prefix)
    const store = redisStore({ redis: REDIS_URL, keyPrefix: prefix, ...options })
    opened.push(store)
    return store
  }

  beforeAll(() => {
    admin = new Redis(REDIS_URL)
  })
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()))
    for (const prefix of prefixes.splice(0)) await deleteKeys(admin, prefix)
  })
  afterAll(async () => {
    await admin.quit()
  })

  describe('keys and TTLs', () => {
    it('keeps one hash-tagged key per session whose TTL is its remaining lifetime and the retention', async () => {
      const store = open()
      const KEPT = EXPIRED_SESSION_RETENTION_MS
      const now = Date.now()
      const session = sessionRecord('ttl-user', now)
      await store.create(session, now)

      const key = store.keys.session(session.id)
      expect(key).toMatch(new RegExp(`\\{${session.id}\\}:s$`))
      expect(await admin.type(key)).toBe('hash')
      const ttl = await admin.pttl(key)
      expect(ttl).toBeGreaterThan(10 * MINUTE + KEPT - 2_000)
      expect(ttl).toBeLessThanOrEqual(10 * MINUTE + KEPT)

      // A rotation pushes the idle deadline, and the TTL with it...
      const rotation = { ...rotationOf(session, now), idleExpiresAt: now + 20 * MINUTE }
      await store.rotate(session.id, session.tokenHash, rotation, now)
      expect(await admin.pttl(key)).toBeGreaterThan(20 * MINUTE + KEPT - 2_000)
      // ...but never past the absolute deadline.
      const rotated: StoredSession = { ...session, ...rotation }
      const beyond = { ...rotationOf(rotated, now), idleExpiresAt: now + 5 * HOUR }
      await store.rotate(session.id, rotated.tokenHash, beyond, now)
      const capped = await admin.pttl(key)
      expect(capped).toBeGreaterThan(HOUR + KEPT - 2_000)
      expect(capped).toBeLessThanOrEqual(HOUR + KEPT)

      // The tombstone lasts exactly as long as the session would have.
      await store.revoke(session.id, 'logout', now)
      expect(Math.abs((await admin.pttl(key)) - capped)).toBeLessThan(2_000)
    })

    it('indexes a user’s sessions in one sorted set whose TTL covers the latest one', async () => {
      const store = open()
      const now = Date.now()
      const later = sessionRecord('index-user', now, { expiresAt: now + 2 * HOUR })
      const sooner = sessionRecord('index-user', now + 1, { expiresAt: now + HOUR })
      await store.create(later, now)
      await store.create(sooner, now)

      const index = store.keys.user('index-user')
      expect(index).toMatch(/u:\{index-user\}$/)
      expect(await admin.zrange(index, 0, -1, 'WITHSCORES')).toStrictEqual([
        sooner.id,
        String(sooner.expiresAt),
        later.id,
        String(later.expiresAt),
      ])
      expect(await admin.pttl(index)).toBeGreaterThan(2 * HOUR - 2_000)
    })

    it('drops index entries of sessions that ended on their idle deadline', async () => {
      const store = open(undefined, { expiredRetention: 0 })
      const now = Date.now()
      const idle = sessionRecord('prune-user', now, { idleExpiresAt: now + 200 })
      const live = sessionRecord('prune-user', now + 1)
      await store.create(idle, now)
      await store.create(live, now)
      await new Promise((resolve) => setTimeout(resolve, 250))

      expect(await admin.exists(store.keys.session(idle.id))).toBe(0)
      expect(await store.listByUser('prune-user', Date.now())).toStrictEqual([live])
      expect(await admin.zrange(store.keys.user('prune-user'), 0, -1)).toStrictEqual([live.id])
    })

    it('never scans the keyspace', async () => {
      const store = open()
      const monitor = await admin.monitor()
      const commands: string[] = []
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (args[0]) commands.push(args[0].toLowerCase())
      })
      try {
        const now = Date.now()
        for (let i = 0; i < 5; i++) await store.create(sessionRecord('scan-user', now + i), now)
        await store.listByUser('scan-user', now)
        await store.revokeByUser('scan-user', 'logout_everywhere', now)
        await vi.waitFor(() =>
          expect(commands.filter((c) => c === 'evalsha').length).toBeGreaterThan(5),
        )
      } finally {
        monitor.disconnect()
      }
      expect(commands).not.toContain('keys')
      expect(commands).not.toContain('scan')
    })

    it('refuses a key prefix that would break the hash tags', () => {
      expect(() => redisStore({ redis: REDIS_URL, keyPrefix: 'app:{x}:' })).toThrow(TypeError)
    })
  })

  describe('a session hash stays compact', () => {
    // Redis's defaults: a hash is a listpack while every value is at most 64 bytes.
    const CHROME =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
    const user = {
      id: 'u-alice',
      username: 'alice',
      name: 'Alice Liddell',
      email: 'alice@example.com',
      role: 'member',
    }
    const values = async (key: string) => Object.values(await admin.hgetall(key))

    it('keeps a real browser session with a long User-Agent and user in the listpack encoding', async () => {
      const store = open()
      const now = Date.now()
      const session = sessionRecord(user.id, now, { user, userAgent: CHROME })
      await store.create(session, now)
      const rotation = { ...rotationOf(session, now), sealedSuccessor: 'x'.repeat(64) }
      await store.rotate(session.id, session.tokenHash, { ...rotation, userAgent: CHROME }, now)

      const key = store.keys.session(session.id)
      expect(await admin.object('ENCODING', key)).toBe('listpack')
      expect(Math.max(...(await values(key)).map((v) => Buffer.byteLength(v)))).toBeLessThanOrEqual(
        64,
      )
      expect(Number(await admin.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'))).toBeLessThan(1024)
      const read = await store.get(session.id)
      expect(read?.userAgent).toBe(CHROME)
      expect(read?.user).toEqual(user)
    })

    it('cuts multi-byte text between characters, and reads it back exactly', async () => {
      const store = open()
      const now = Date.now()
      const name = 'Zoë Ørsted-Łukasiewicz 🦊🦊🦊 ' + 'é'.repeat(40) + '𝄞'.repeat(20)
      const agent = 'Mozilla/5.0 ' + '日本語'.repeat(30)
      const session = sessionRecord('u-zoe', now, {
        user: { id: 'u-zoe', name },
        userAgent: agent,
        acr: 'urn:example:acr:' + 'a'.repeat(90),
        amr: ['pwd', 'otp', 'hwk', 'x'.repeat(70)],
      })
      await store.create(session, now)
      const key = store.keys.session(session.id)
      for (const value of await values(key))
        expect(Buffer.byteLength(value)).toBeLessThanOrEqual(64)
      expect(await store.get(session.id)).toEqual(session)
    })

    it('leaves no piece of a longer User-Agent behind when a rotation brings a shorter one or none', async () => {
      const store = open()
      const now = Date.now()
      const session = sessionRecord(user.id, now, { user, userAgent: CHROME.repeat(3) })
      await store.create(session, now)
      const key = store.keys.session(session.id)
      expect((await admin.hkeys(key)).filter((f) => f.startsWith('userAgent#'))).toHaveLength(5)

      const first = { ...rotationOf(session, now), userAgent: 'Short/1.0' }
      expect(await store.rotate(session.id, session.tokenHash, first, now)).toBe(true)
      expect((await admin.hkeys(key)).filter((f) => f.startsWith('userAgent'))).toEqual([
        'userAgent',
      ])
      expect((await store.get(session.id))?.userAgent).toBe('Short/1.0')

      const second = {
        ...rotationOf(session, now),
        previousTokenHash: first.tokenHash,
        userAgent: CHROME,
      }
      expect(await store.rotate(session.id, first.tokenHash, second, now)).toBe(true)
      expect((await admin.hkeys(key)).filter((f) => f.startsWith('userAgent')).sort()).toEqual([
        'userAgent',
        'userAgent#1',
      ])
      const third = {
        ...rotationOf(session, now),
        previousTokenHash: second.tokenHash,
        userAgent: null,
      }
      expect(await store.rotate(session.id, second.tokenHash, third, now)).toBe(true)
      expect((await admin.hkeys(key)).filter((f) => f.startsWith('userAgent'))).toEqual([])
      expect((await store.get(session.id))?.userAgent).toBeNull()
    })

    it('ignores the pieces an earlier version left when it rotated a value whole, and drops them next time', async () => {
      const store = open()
      const now = Date.now()
      const amr = ['pwd', 'otp', 'x'.repeat(80)]
      const session = sessionRecord(user.id, now, { user, userAgent: CHROME, amr })
      await store.create(session, now)
      const key = store.keys.session(session.id)
      // An instance still on the earlier version, during a rolling upgrade, rotates: it writes
      // each value whole and knows nothing of the pieces.
      await admin.hset(key, 'userAgent', 'Old/1.0', 'amr', '["pwd"]')
      expect(await admin.hexists(key, 'userAgent#1')).toBe(1)
      const read = await store.get(session.id)
      expect(read?.userAgent).toBe('Old/1.0')
      expect(read?.amr).toEqual(['pwd'])

      const rotation = { ...rotationOf(session, now), userAgent: 'New/2.0', amr: ['pwd'] }
      expect(await store.rotate(session.id, session.tokenHash, rotation, now)).toBe(true)
      const left = (await admin.hkeys(key)).filter((f) => /^(userAgent|amr)#/.test(f))
      expect(left).toEqual([])
    })

    it('keeps a value too long to be compact anyway whole, and one that starts like a marked piece exact', async () => {
      const store = open()
      const now = Date.now()
      // 300 KB: cut into 64-byte pieces it would pass Lua's limit on unpacked arguments (~8,000).
      const big = { id: 'u-big', bio: 'b'.repeat(300_000) }
      const session = sessionRecord('u-big', now, { user: big, acr: '\u0001short' })
      await store.create(session, now)
      const key = store.keys.session(session.id)
      expect((await admin.hkeys(key)).filter((f) => f.startsWith('user#'))).toEqual([])
      expect(await store.get(session.id)).toEqual(session)
    })

    it('reads a session written whole, before values were cut, and cuts it at its next rotation', async () => {
      const store = open()
      const now = Date.now()
      const session = sessionRecord(user.id, now, { user, userAgent: CHROME })
      await store.create(session, now)
      const key = store.keys.session(session.id)
      // As an earlier version wrote it: each value in one field.
      const pieces = (await admin.hkeys(key)).filter((f) => f.includes('#'))
      expect(pieces.length).toBeGreaterThan(0)
      await admin.hdel(key, ...pieces)
      await admin.hset(key, 'user', JSON.stringify(user), 'userAgent', CHROME)
      expect(await store.get(session.id)).toEqual(session)

      const rotation = { ...rotationOf(session, now), userAgent: CHROME }
      expect(await store.rotate(session.id, session.tokenHash, rotation, now)).toBe(true)
      // Cut now: the first piece is marked, so pieces are never mistaken for a whole value's.
      expect(await admin.hget(key, 'userAgent')).toBe(`\u0001${CHROME.slice(0, 63)}`)
      expect((await store.get(session.id))?.userAgent).toBe(CHROME)
    })
  })

  describe('revocations across instances', () => {
    it('delivers revocations made by another instance, and measures the delay', async () => {
      const prefix = uniquePrefix()
      const [revoker, watcher] = [open(prefix), open(prefix)]
      let arrived: ((id: string) => void) | undefined
      watcher.subscribeRevocations((ids) => ids.forEach((id) => arrived?.(id)))
      // The watcher's subscription is ready once it receives a first revocation.
      const warmup = sessionRecord('pubsub-user', Date.now())
      await revoker.create(warmup, Date.now())
      const heardWarmup = new Promise<void>((resolve) => (arrived = () => resolve()))
      await vi.waitFor(async () => {
        await revoker.revoke(warmup.id, 'revoked', Date.now())
        await heardWarmup
      })

      const delays: number[] = []
      for (let i = 0; i < 50; i++) {
        const now = Date.now()
        const session = sessionRecord('pubsub-user', now)
        await revoker.create(session, now)
        const heard = new Promise<number>((resolve) => {
          arrived = (id) => id === session.id && resolve(performance.now())
        })
        const start = performance.now()
        await revoker.revoke(session.id, 'revoked', now)
        delays.push((await heard) - start)
      }
      delays.sort((x, y) => x - y)
      console.log(
        `[baton] Redis pub/sub revocation propagation (revoke() called on A → listener on B), ` +
          `50 samples: median ${percentile(delays, 50).toFixed(2)} ms, ` +
          `p95 ${percentile(delays, 95).toFixed(2)} ms, max ${delays.at(-1)!.toFixed(2)} ms`,
      )
    })

    it('makes requireAuth on another instance refuse the access token', async () => {
      const prefix = uniquePrefix()
      const [storeA, storeB] = [open(prefix), open(prefix)]
      const keys: SigningKeys = createSigningKeys({ keys: [await generateSigningKey()] })
      const logger = { warn: () => {}, error: () => {} }
      const bffA = createBff({
        keys,
        store: storeA,
        logger,
        authenticate: async ({ username }) => ({ id: username }),
      })
      const apiB = new Hono<{ Variables: RequireAuthVariables }>()
        .use(
          requireAuth({ jwks: keys, issuer: 'baton', audience: 'baton-api', checkRevoked: storeB }),
        )
        .get('/me', (ctx) => ctx.json({ sid: ctx.var.sessionId }))
      const headers = { 'x-csrf': '1', 'sec-fetch-site': 'same-origin' }
      const login = await bffA.request('/auth/login', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'grace', password: 'x' }),
      })
      const { accessToken } = (await login.json()) as { accessToken: string }
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!
      const meOnB = () =>
        apiB.request('/me', { headers: { authorization: `Bearer ${accessToken}` } })
      expect((await meOnB()).status).toBe(200)

      const start = performance.now()
      const logout = await bffA.request('/auth/logout', {
        method: 'POST',
        headers: { ...headers, cookie },
      })
      expect(logout.status).toBe(204)
      let polls = 0
      for (;;) {
        polls++
        if ((await meOnB()).status === 401) break
        // Lets the subscriber's socket be read between polls.
        await new Promise((resolve) => setImmediate(resolve))
        if (performance.now() - start > 5_000) throw new Error('B never refused the token')
      }
      console.log(
        `[baton] logout on A → requireAuth({ checkRevoked }) on B refuses the token after ` +
          `${(performance.now() - start).toFixed(2)} ms (${polls} polls, in-process, shared Redis)`,
      )
    })

    it('replays recent revocations to an instance that subscribes later', async () => {
      const prefix = uniquePrefix()
      const early = open(prefix)
      const now = Date.now()
      const revoked = sessionRecord('replay-user', now)
      await early.create(revoked, now)
      await early.revoke(revoked.id, 'revoked', now)

      const late = open(prefix)
      const heard = new Set<string>()
      late.subscribeRevocations((ids) => ids.forEach((id) => heard.add(id)))
      await vi.waitFor(() => expect([...heard]).toStrictEqual([revoked.id]))
      // A second listener on an already subscribed store gets the replay too.
      const second = new Set<string>()
      late.subscribeRevocations((ids) => ids.forEach((id) => second.add(id)))
      await vi.waitFor(() => expect([...second]).toStrictEqual([revoked.id]))
    })

    it('does not replay when revocationReplay is 0', async () => {
      const prefix = uniquePrefix()
      const early = open(prefix, { revocationReplay: 0 })
      const now = Date.now()
      const revoked = sessionRecord('no-replay-user', now)
      await early.create(revoked, now)
      await early.revoke(revoked.id, 'revoked', now)
      expect(await admin.exists(early.keys.revoked)).toBe(0)

      const late = open(prefix, { revocationReplay: 0 })
      const heard: string[] = []
      late.subscribeRevocations((ids) => heard.push(...ids))
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(heard).toStrictEqual([])
    })

    it('catches up on revocations published while its subscriber was disconnected', async () => {
      const prefix = uniquePrefix()
      const [revoker, watcher] = [open(prefix), open(prefix)]
      const heard = new Set<string>()
      watcher.subscribeRevocations((ids) => ids.forEach((id) => heard.add(id)))
      const now = Date.now()
      const session = sessionRecord('reconnect-user', now)
      await revoker.create(session, now)
      // Wait for the subscription, then cut every pub/sub connection on the server.
      await vi.waitFor(async () => {
        expect(await admin.pubsub('NUMSUB', watcher.keys.channel)).toStrictEqual([
          watcher.keys.channel,
          1,
        ])
      })
      await admin.client('KILL', 'TYPE', 'pubsub')
      // Published while nobody listens: only the replay on reconnection can deliver it.
      await revoker.revoke(session.id, 'revoked', now)
      await vi.waitFor(() => expect([...heard]).toStrictEqual([session.id]), { timeout: 5_000 })
    })

    describe('when the replica wait fails after the write', () => {
      // The local Redis has no replicas: every WAIT acknowledges 0 of 1, so every write the
      // waiting store makes is applied on the primary and then answered with 503.
      const waitingPair = async () => {
        const prefix = uniquePrefix()
        const waiting = open(prefix, { waitForReplicas: { replicas: 1, timeout: '20ms' } })
        const other = open(prefix)
        const heard: string[] = []
        const epochs: number[] = []
        other.subscribeRevocations((ids) => heard.push(...ids))
        other.subscribeRevocationEpoch((epoch) => epochs.push(epoch))
        await vi.waitFor(async () => {
          expect(await admin.pubsub('NUMSUB', other.keys.channel)).toStrictEqual([
            other.keys.channel,
            1,
          ])
        })
        return { waiting, other, heard, epochs }
      }
      const unavailable = { status: 503, code: 'store_unavailable' }

      // Before, the announcement (publish and replay record) came after the wait, so the 503
      // skipped it, and the client's retry found the session revoked already (null) and announced
      // nothing either: other instances kept accepting the session's access tokens.
      it('still announces a revocation in force, though revoke answers 503 and its retry null', async () => {
        const { waiting, other, heard } = await waitingPair()
        const now = Date.now()
        const session = sessionRecord('replica-user', now)
        await other.create(session, now)

        await expect(waiting.revoke(session.id, 'revoked', now)).rejects.toMatchObject(unavailable)
        // In force on the primary: every reader sees it revoked.
        expect((await other.get(session.id))?.revokedAt).toBe(now)
        await expect(waiting.revoke(session.id, 'revoked', now)).resolves.toBeNull()

        expect(Number(await admin.zscore(other.keys.revoked, session.id))).toBeGreaterThanOrEqual(
          now,
        )
        // The retry announces it again (a lost reply would have left it unannounced): listeners
        // take a repeated id in their stride.
        await vi.waitFor(() => expect([...new Set(heard)]).toStrictEqual([session.id]))
      })

      // Before, the same for "log out everywhere": the retry revokes only live sessions, so
      // found none and announced none.
      it('still announces the sessions revokeByUser revoked, though it answers 503 and its retry []', async () => {
        const { waiting, other, heard } = await waitingPair()
        const now = Date.now()
        const sessions = [sessionRecord('replica-user', now), sessionRecord('replica-user', now)]
        for (const session of sessions) await other.create(session, now)

        await expect(
          waiting.revokeByUser('replica-user', 'logout_everywhere', now),
        ).rejects.toMatchObject(unavailable)
        await expect(
          waiting.revokeByUser('replica-user', 'logout_everywhere', now),
        ).resolves.toStrictEqual([])

        const ids = sessions.map((session) => session.id).sort()
        expect(await admin.zrange(other.keys.revoked, 0, -1)).toStrictEqual(ids)
        await vi.waitFor(() => expect([...new Set(heard)].sort()).toStrictEqual(ids))
      })

      // Before, a raised epoch whose wait failed was stored but never published: an instance
      // already subscribed kept accepting older access tokens until it reconnected.
      it('still announces a raised revocation epoch, though the raise answers 503', async () => {
        const { waiting, other, epochs } = await waitingPair()
        const epoch = Date.now()
        await expect(waiting.raiseRevocationEpoch(epoch)).rejects.toMatchObject(unavailable)
        expect(await other.getRevocationEpoch()).toBe(epoch)
        await vi.waitFor(() => expect(epochs).toStrictEqual([epoch]))
      })
    })
  })

  describe('connections', () => {
    it('leaves a client it was given open, and uses its own connection for pub/sub', async () => {
      const client = new Redis(REDIS_URL)
      const prefix = uniquePrefix()
      prefixes.push(prefix)
      const store = redisStore({ redis: client, keyPrefix: prefix })
      expect(store.client).toBe(client)
      const unsubscribe = store.subscribeRevocations(() => {})
      await vi.waitFor(async () => {
        expect(await admin.pubsub('NUMSUB', store.keys.channel)).toStrictEqual([
          store.keys.channel,
          1,
        ])
      })
      // The given client is not in subscriber mode: it still runs ordinary commands.
      expect(await client.ping()).toBe('PONG')
      unsubscribe()
      await store.close()
      expect(await client.ping()).toBe('PONG')
      await client.quit()
    })

    it('closes the connections it created', async () => {
      const store = redisStore({ redis: REDIS_URL, keyPrefix: uniquePrefix() })
      store.subscribeRevocations(() => {})
      await store.get('x'.repeat(22))
      await store.close()
      await vi.waitFor(() => expect(store.client.status).toBe('end'))
      await expect(store.get('x'.repeat(22))).rejects.toMatchObject({
        status: 503,
        code: 'store_unavailable',
      })
    })
  })
})
