/**
 * @module
 * The one contract every `SessionStore` must pass, so stores are interchangeable. Each store's test
 * file calls {@link describeSessionStoreContract} with a factory; nothing here knows which store it
 * is testing beyond {@link StoreUnderTest.forgetExpired}.
 *
 * Times are real (`Date.now()` based) because the Redis store turns deadlines into real TTLs; the
 * few deadline checks use deadlines a few hundred milliseconds ahead.
 */
import { randomBytes } from 'node:crypto'
import type { JWK } from 'jose'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  createBff,
  createSigningKeys,
  generateSigningKey,
  type BffOptions,
  type RevocationListener,
  type SessionRotation,
  type SessionStore,
  type StoredSession,
} from '../src/index.js'

/** A store built for one test, and how to dispose of it. */
export interface StoreUnderTest {
  store: SessionStore
  /** Closes the store and removes whatever it wrote (files, keys). */
  cleanup(): Promise<void>
  /**
   * Makes the store drop sessions whose deadlines are before `now`: a sweep for an embedded store;
   * for a store with real TTLs, waiting until `now` has passed.
   */
  forgetExpired(now: number): Promise<void>
}

/** Builds a fresh, empty store for each test. */
export type MakeStore = () => Promise<StoreUnderTest>

const MINUTE = 60_000
const HOUR = 60 * MINUTE

const random = (bytes: number) => randomBytes(bytes).toString('base64url')

/** A complete, live session record; `overrides` replace any field. */
export function sessionRecord(
  userId: string,
  now: number,
  overrides: Partial<StoredSession> = {},
): StoredSession {
  return {
    id: random(16),
    userId,
    user: { id: userId, name: 'Ada Lovelace', roles: ['admin', 'dev'], org: { id: 7, beta: true } },
    createdAt: now,
    lastUsedAt: now,
    expiresAt: now + HOUR,
    idleExpiresAt: now + 10 * MINUTE,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Vitest',
    ip: '203.0.113.7',
    tokenKey: random(32),
    tokenHash: random(32),
    previousTokenHash: null,
    rotatedAt: null,
    sealedSuccessor: null,
    generation: 0,
    revokedAt: null,
    revokedReason: null,
    authTime: now - 5_000,
    amr: ['pwd', 'otp'],
    acr: null,
    jkt: null,
    ...overrides,
  }
}

/** What a rotation of `session` at `now` writes. */
export function rotationOf(session: StoredSession, now: number): SessionRotation {
  return {
    tokenHash: random(32),
    previousTokenHash: session.tokenHash,
    rotatedAt: now,
    sealedSuccessor: random(100),
    generation: session.generation + 1,
    lastUsedAt: now,
    idleExpiresAt: now + 10 * MINUTE,
    ip: '198.51.100.4',
    userAgent: null,
    authTime: session.authTime,
    amr: session.amr,
    acr: session.acr,
  }
}

/** Collects every id a listener hears; delivery may be asynchronous and may repeat ids. */
function recorder() {
  const heard = new Set<string>()
  const listener: RevocationListener = (ids) => {
    for (const id of ids) heard.add(id)
  }
  return { heard, listener }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Registers the shared contract suite for one store. `makeStore` runs before every test and must
 * return an empty store; `cleanup` runs after it.
 *
 * @example
 * ```ts
 * describeSessionStoreContract('memory', async () => {
 *   const store = memoryStore({ sweepInterval: 0 })
 *   return { store, cleanup: () => store.close(), forgetExpired: async (now) => void store.sweep(now) }
 * })
 * ```
 */
export function describeSessionStoreContract(name: string, makeStore: MakeStore) {
  describe(`SessionStore contract: ${name}`, () => {
    let subject: StoreUnderTest
    let store: SessionStore
    let userId: string

    beforeEach(async () => {
      subject = await makeStore()
      store = subject.store
      userId = `user-${random(6)}`
    })
    afterEach(async () => {
      await subject.cleanup()
    })

    describe('create and get', () => {
      it('returns exactly the record that was created', async () => {
        const now = Date.now()
        const session = sessionRecord(userId, now)
        await store.create(session, now)
        expect(await store.get(session.id)).toStrictEqual(session)
      })

      it('round-trips every optional field, empty strings and fractional numbers', async () => {
        const now = Date.now()
        const session = sessionRecord(userId, now, {
          userAgent: '',
          ip: null,
          previousTokenHash: random(32),
          rotatedAt: now - 1_000.5,
          sealedSuccessor: random(120),
          generation: 41,
          user: { id: userId, emoji: 'é🔑', nothing: null, list: [1, 'two', { three: 3 }] },
        })
        await store.create(session, now)
        expect(await store.get(session.id)).toStrictEqual(session)
      })

      it('answers null for an unknown id', async () => {
        expect(await store.get(random(16))).toBeNull()
      })

      it('hands out copies that callers cannot use to change the stored session', async () => {
        const now = Date.now()
        const session = sessionRecord(userId, now)
        await store.create(session, now)
        const copy = await store.get(session.id)
        copy!.tokenHash = 'tampered'
        copy!.user.name = 'Mallory'
        session.generation = 99
        const again = await store.get(session.id)
        expect(again?.tokenHash).not.toBe('tampered')
        expect(again?.user.name).toBe('Ada Lovelace')
        expect(again?.generation).toBe(0)
      })

      it('refuses a second session with the same id', async () => {
        const now = Date.now()
        const session = sessionRecord(userId, now)
        await store.create(session, now)
        await expect(store.create({ ...session, userId: 'someone-else' }, now)).rejects.toThrow()
        expect(await store.get(session.id)).toStrictEqual(session)
      })
    })

    describe('rotate', () => {
      it('applies the rotation when the expected hash is current', async () => {
        const now = Date.now()
        const session = sessionRecord(userId, now)
        await store.create(session, now)
        const rotation = rotationOf(session, now + 5)
        expect(await store.rotate(session.id, session.tokenHash, rotation, now + 5)).toBe(true)
        expect(await store.get(session.id)).toStrictEqual({ ...session, ...rotation })
      })

      it('sets previous fields back to null when the rotation says so', async () => {
        const now = Date.now()
        const session = sessionRecord(userId, now, {
          previousTokenHash: random(32),
          rotatedAt: now,
          sealedSuccessor: random(100),
          generation: 3,
        })
        await store.create(session, now)
        const rotation = { ...rotationOf(session, now), previousTokenHash: null, rotatedAt: null }
        const withNulls: SessionRotation = { ...rotation, sealedSuccessor: null, ip: null }
        expect(await store.rotate(session.id, session.tokenHash, withNulls, now)).toBe(true)
        expect(await store.get(session.id)).toStrictEqual({ ...session, ...withNulls })
      })

      it('refuses a stale hash and leaves the session untouched', async () => {
        const now = Date.now()
        const session = sessionRecord(userId, now)
        await store.create(session, now)
        expect(await store.rotate(session.id, random(32), rotationOf(session, now), now)).toBe(
          false,
        )
        expect(await store.get(session.id)).toStrictEqual(session)

        const rotation = rotationOf(session, now)
        await store.rotate(session.id, session.tokenHash, rotation, now)
        // The hash that was current a moment ago is now the previous one: refused too.
        const again = rotationOf({ ...session, ...rotation }, now)
        expect(await store.rotate(session.id, session.tokenHash, again, now)).toBe(false)
        expect(await store.get(session.id)).toStrictEqual({ ...session, ...rotation })
      })

      it('refuses a revoked session', async () => {
        const now = Date.now()
        const session = sessionRecord(userId, now)
        await store.create(session, now)
        await store.revoke(session.id, 'logout', now)
        expect(
          await store.rotate(session.id, session.tokenHash, rotationOf(session, now), now),
        ).toBe(false)
        expect((await store.get(session.id))?.tokenHash).toBe(session.tokenHash)
      })

      it('refuses a session that does not exist, without creating it', async () => {
        const now = Date.now()
        const session = sessionRecord(userId, now)
        expect(
          await store.rotate(session.id, session.tokenHash, rotationOf(session, now), now),
        ).toBe(false)
        expect(await store.get(session.id)).toBeNull()
      })

      it('lets exactly one of many concurrent rotations with the same hash win', async () => {
        const now = Date.now()
        const session = sessionRecord(userId, now)
        await store.create(session, now)
        const rotations = Array.from({ length: 25 }, () => rotationOf(session, now))
        const results = await Promise.all(
          rotations.map((rotation) => store.rotate(session.id, session.tokenHash, rotation, now)),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
        const winner = rotations[results.indexOf(true)]!
        expect(await store.get(session.id)).toStrictEqual({ ...session, ...winner })
      })
    })

    describe('authentication facts', () => {
      it('round-trips authTime, amr and acr, and a rotation that changes them', async () => {
        const now = Date.now()
        const session = sessionRecord(userId, now, { amr: [], acr: 'urn:example:aal2' })
        await store.create(session, now)
        expect(await store.get(session.id)).toStrictEqual(session)

        const stepUp = {
          ...rotationOf(session, now + 5),
          authTime: now + 5,
          amr: ['pwd'],
          acr: null,
        }
        expect(await store.rotate(session.id, session.tokenHash, stepUp, now + 5)).toBe(true)
        expect(await store.get(session.id)).toStrictEqual({ ...session, ...stepUp })
        expect(await store.listByUser(userId, now + 6)).toStrictEqual([{ ...session, ...stepUp }])
      })

      it('keeps authTime 0 (a demanded step-up) as 0, not as "unknown"', async () => {
        const now = Date.now()
        const session = sessionRecord(userId, now)
        await store.create(session, now)
        const demanded = { ...rotationOf(session, now), authTime: 0 }
        expect(await store.rotate(session.id, session.tokenHash, demanded, now)).toBe(true)
        expect((await store.get(session.id))?.authTime).toBe(0)
      })
    })

    describe('DPoP binding', () => {
      it('round-trips the key thumbprint through create, rotate, list and revoke', async () => {
        const now = Date.now()
        const jkt = random(32)
        const session = sessionRecord(userId, now, { jkt })
        await store.create(session, now)
        expect(await store.get(session.id)).toStrictEqual(session)
        const rotation = rotationOf(session, now + 1)
        expect(await store.rotate(session.id, session.tokenHash, rotation, now + 1)).toBe(true)
        expect(await store.listByUser(userId, now + 2)).toStrictEqual([{ ...session, ...rotation }])
        const before = await store.revoke(session.id, 'binding_mismatch', now + 3)
        expect(before?.jkt).toBe(jkt)
        expect(await store.get(session.id)).toMatchObject({
          jkt,
          revokedAt: now + 3,
          revokedReason: 'binding_mismatch',
        })
      })

      it('remembers a proof once: true when new, false while it is held', async () => {
        const now = Date.now()
        const [key, other] = [random(32), random(32)]
        expect(await store.rememberProof!(key, now + MINUTE, now)).toBe(true)
        expect(await store.rememberProof!(key, now + MINUTE, now + 1)).toBe(false)
        expect(await store.rememberProof!(other, now + MINUTE, now + 1)).toBe(true)
      })

      it('lets exactly one of many concurrent sightings of a proof be the new one', async () => {
        const now = Date.now()
        const key = random(32)
        const results = await Promise.all(
          Array.from({ length: 12 }, () => store.rememberProof!(key, now + MINUTE, now)),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
      })

      it('forgets a proof once its expiry has passed', async () => {
        const now = Date.now()
        const key = random(32)
        expect(await store.rememberProof!(key, now + 300, now)).toBe(true)
        await subject.forgetExpired(now + 400)
        const later = Math.max(Date.now(), now + 400)
        expect(await store.rememberProof!(key, later + MINUTE, later)).toBe(true)
        expect(await store.rememberProof!(key, later + MINUTE, later + 1)).toBe(false)
      })
    })

    describe('revocation epoch', () => {
      it('starts at 0, only ever rises, and tells subscribers (new ones too)', async () => {
        const heard: number[] = []
        const unsubscribe = store.subscribeRevocationEpoch((epoch) => heard.push(epoch))
        expect(await store.getRevocationEpoch()).toBe(0)

        const epoch = Date.UTC(2030, 0, 1)
        expect(await store.raiseRevocationEpoch(epoch)).toBe(epoch)
        expect(await store.raiseRevocationEpoch(epoch - 1_000)).toBe(epoch)
        expect(await store.getRevocationEpoch()).toBe(epoch)
        await vi.waitFor(() => expect(heard).toStrictEqual([epoch]))

        const late: number[] = []
        store.subscribeRevocationEpoch((value) => late.push(value))
        await vi.waitFor(() => expect(late).toStrictEqual([epoch]))

        unsubscribe()
        expect(await store.raiseRevocationEpoch(epoch + 1_000)).toBe(epoch + 1_000)
        await vi.waitFor(() => expect(late).toStrictEqual([epoch, epoch + 1_000]))
        await sleep(50)
        expect(heard).toStrictEqual([epoch])
      })
    })

    describe('revoke', () => {
      it('returns the record as it was to the call that revoked it, then null', async () => {
        const now = Date.now()
        const session = sessionRecord(userId, now, {
          previousTokenHash: random(32),
          rotatedAt: now,
          sealedSuccessor: random(100),
          generation: 1,
        })
        await store.create(session, now)
        expect(await store.revoke(session.id, 'logout', now + 1)).toStrictEqual(session)
        expect(await store.revoke(session.id, 'revoked', now + 2)).toBeNull()
        expect(await store.revoke(random(16), 'logout', now)).toBeNull()
      })

      it('keeps a tombstone that get still returns', async () => {
        const now = Date.now()
        const session = sessionRecord(userId, now, { sealedSuccessor: random(100) })
        await store.create(session, now)
        await store.revoke(session.id, 'reuse_detected', now + 7)
        expect(await store.get(session.id)).toStrictEqual({
          ...session,
          revokedAt: now + 7,
          revokedReason: 'reuse_detected',
          // Nobody may recover the successor of a revoked family.
          sealedSuccessor: null,
        })
      })

      it('lets exactly one of many concurrent revocations return the record', async () => {
        const now = Date.now()
        const session = sessionRecord(userId, now)
        await store.create(session, now)
        const results = await Promise.all(
          Array.from({ length: 20 }, () => store.revoke(session.id, 'logout', now)),
        )
        expect(results.filter((r) => r !== null)).toStrictEqual([session])
      })

      it('revokes only the live sessions of one user, and reports exactly those', async () => {
        const now = Date.now()
        const { heard, listener } = recorder()
        store.subscribeRevocations(listener)
        const live = [sessionRecord(userId, now), sessionRecord(userId, now + 1)]
        const alreadyRevoked = sessionRecord(userId, now + 2)
        const idleExpired = sessionRecord(userId, now + 3, { idleExpiresAt: now + 100 })
        const otherUser = sessionRecord(`${userId}-other`, now + 4)
        for (const s of [...live, alreadyRevoked, idleExpired, otherUser])
          await store.create(s, now)
        await store.revoke(alreadyRevoked.id, 'logout', now)
        await vi.waitFor(() => expect(heard).toContain(alreadyRevoked.id))

        const at = now + 200
        const revoked = await store.revokeByUser(userId, 'logout_everywhere', at)
        expect(revoked.sort((a, b) => a.createdAt - b.createdAt)).toStrictEqual(live)
        await vi.waitFor(() =>
          expect([...heard].sort()).toStrictEqual(
            [alreadyRevoked.id, ...live.map((s) => s.id)].sort(),
          ),
        )

        for (const s of live) {
          expect(await store.get(s.id)).toMatchObject({
            revokedAt: at,
            revokedReason: 'logout_everywhere',
          })
        }
        expect((await store.get(alreadyRevoked.id))?.revokedReason).toBe('logout')
        expect(await store.get(otherUser.id)).toStrictEqual(otherUser)
        expect(await store.revokeByUser(userId, 'logout_everywhere', at)).toStrictEqual([])
        expect(await store.revokeByUser('nobody', 'logout_everywhere', at)).toStrictEqual([])
      })
    })

    describe('listByUser', () => {
      it('never loses a session to a listing that runs while it is created', async () => {
        // Every sign-in lists the user's sessions (session limit, anomaly checks): a listing
        // racing a creation must neither miss a finished session later nor drop it from an index.
        const now = Date.now()
        const sessions = Array.from({ length: 12 }, (_, i) => ({
          ...sessionRecord(userId, now),
          id: `racing-${i}-${random(6)}`,
        }))
        await Promise.all(
          sessions.flatMap((session) => [
            store.create(session, now),
            store.listByUser(userId, now),
          ]),
        )
        const listed = await store.listByUser(userId, now)
        expect(listed.map((s) => s.id).sort()).toStrictEqual(sessions.map((s) => s.id).sort())
        const revoked = await store.revokeByUser(userId, 'logout_everywhere', now)
        expect(revoked).toHaveLength(12)
      })

      it('lists live sessions oldest first, without revoked, expired or foreign ones', async () => {
        const now = Date.now()
        const newest = sessionRecord(userId, now - 10)
        const oldest = sessionRecord(userId, now - 30)
        const middle = sessionRecord(userId, now - 20)
        const revoked = sessionRecord(userId, now - 25)
        const idleExpired = sessionRecord(userId, now - 40, { idleExpiresAt: now + 50 })
        const absoluteExpired = sessionRecord(userId, now - 35, { expiresAt: now + 50 })
        const foreign = sessionRecord(`${userId}-other`, now - 50)
        for (const s of [newest, oldest, middle, revoked, idleExpired, absoluteExpired, foreign]) {
          await store.create(s, now)
        }
        await store.revoke(revoked.id, 'revoked', now)

        const at = now + 60
        expect(await store.listByUser(userId, at)).toStrictEqual([oldest, middle, newest])
        expect(await store.listByUser(`${userId}-other`, at)).toStrictEqual([foreign])
        expect(await store.listByUser('nobody', at)).toStrictEqual([])
      })

      it('reflects rotations in the listed records', async () => {
        const now = Date.now()
        const session = sessionRecord(userId, now)
        await store.create(session, now)
        const rotation = rotationOf(session, now + 1)
        await store.rotate(session.id, session.tokenHash, rotation, now + 1)
        expect(await store.listByUser(userId, now + 2)).toStrictEqual([{ ...session, ...rotation }])
      })
    })

    describe('deadlines', () => {
      it('forgets sessions once the earlier of their two deadlines has passed', async () => {
        const now = Date.now()
        const idle = sessionRecord(userId, now, { idleExpiresAt: now + 300 })
        const absolute = sessionRecord(userId, now + 1, { expiresAt: now + 300 })
        const revoked = sessionRecord(userId, now + 2, { idleExpiresAt: now + 300 })
        const kept = sessionRecord(userId, now + 3)
        for (const s of [idle, absolute, revoked, kept]) await store.create(s, now)
        await store.revoke(revoked.id, 'logout', now)

        await subject.forgetExpired(now + 400)
        for (const s of [idle, absolute]) expect(await store.get(s.id)).toBeNull()
        expect(await store.get(kept.id)).toStrictEqual(kept)
        expect(await store.listByUser(userId, Math.max(Date.now(), now + 400))).toStrictEqual([
          kept,
        ])
        // A revoked one may stay for the replay window (15 minutes by default) after its
        // revocation where the records are the replay log (not Redis's, which keeps a log of its
        // own): its last access token can outlive the idle deadline, and a late subscriber
        // learns of the revocation from the record. Then it goes too.
        if ((await store.get(revoked.id)) !== null) {
          await subject.forgetExpired(now + 15 * MINUTE)
          expect(await store.get(revoked.id)).toBeNull()
        }
      })

      it('moves the deadline forward when a rotation extends the idle deadline', async () => {
        const now = Date.now()
        const session = sessionRecord(userId, now, { idleExpiresAt: now + 300 })
        await store.create(session, now)
        const rotation = { ...rotationOf(session, now), idleExpiresAt: now + 10 * MINUTE }
        expect(await store.rotate(session.id, session.tokenHash, rotation, now)).toBe(true)

        await subject.forgetExpired(now + 400)
        expect(await store.get(session.id)).toStrictEqual({ ...session, ...rotation })
      })

      it('never keeps a session past its absolute deadline, whatever a rotation says', async () => {
        const now = Date.now()
        const session = sessionRecord(userId, now, { expiresAt: now + 300 })
        await store.create(session, now)
        const rotation = { ...rotationOf(session, now), idleExpiresAt: now + 10 * MINUTE }
        await store.rotate(session.id, session.tokenHash, rotation, now)

        await subject.forgetExpired(now + 400)
        expect(await store.get(session.id)).toBeNull()
      })
    })

    describe('subscribeRevocations', () => {
      it('tells subscribers which sessions were revoked, until they unsubscribe', async () => {
        const now = Date.now()
        const first = recorder()
        const second = recorder()
        const unsubscribeFirst = store.subscribeRevocations(first.listener)
        const unsubscribeSecond = store.subscribeRevocations(second.listener)
        const [a, b, c] = [0, 1, 2].map((i) => sessionRecord(userId, now + i))
        for (const s of [a!, b!, c!]) await store.create(s, now)

        await store.revoke(a!.id, 'logout', now)
        await store.revoke(a!.id, 'logout', now) // already revoked: no second notice needed
        await vi.waitFor(() => {
          expect([...first.heard]).toStrictEqual([a!.id])
          expect([...second.heard]).toStrictEqual([a!.id])
        })

        unsubscribeFirst()
        await store.revoke(b!.id, 'revoked', now)
        await vi.waitFor(() => expect([...second.heard]).toStrictEqual([a!.id, b!.id]))
        unsubscribeSecond()
        unsubscribeSecond() // idempotent
        await store.revoke(c!.id, 'revoked', now)
        await sleep(100)
        expect([...first.heard]).toStrictEqual([a!.id])
        expect([...second.heard]).toStrictEqual([a!.id, b!.id])
      })

      it('revokes and tells the other subscribers when one subscriber throws', async () => {
        const now = Date.now()
        const { heard, listener } = recorder()
        store.subscribeRevocations(() => {
          throw new Error('a broken subscriber')
        })
        store.subscribeRevocations(listener)
        const session = sessionRecord(userId, now)
        await store.create(session, now)

        await expect(store.revoke(session.id, 'revoked', now)).resolves.toMatchObject({
          id: session.id,
        })
        await vi.waitFor(() => expect([...heard]).toStrictEqual([session.id]))
        expect((await store.get(session.id))?.revokedReason).toBe('revoked')
      })

      it('does not notify for failed revocations', async () => {
        const { heard, listener } = recorder()
        store.subscribeRevocations(listener)
        await store.revoke(random(16), 'logout', Date.now())
        await store.revokeByUser('nobody', 'logout_everywhere', Date.now())
        await sleep(100)
        expect([...heard]).toStrictEqual([])
      })
    })

    describe('through createBff', () => {
      let signingKey: JWK
      beforeAll(async () => {
        signingKey = await generateSigningKey('ES256')
      })

      const bffOn = (target: SessionStore, now: () => number) => {
        const options: BffOptions = {
          store: target,
          keys: createSigningKeys({ keys: [signingKey] }),
          authenticate: async ({ username }) => ({ id: username, name: username }),
          now,
          logger: { warn: () => {}, error: () => {} },
        }
        const bff = createBff(options)
        // Hono's `request` may answer synchronously; a Promise is what the tests await.
        const post = async (path: string, cookie?: string, body?: unknown) =>
          bff.request(
            new Request(`http://localhost/auth${path}`, {
              method: 'POST',
              headers: {
                'x-csrf': '1',
                'sec-fetch-site': 'same-origin',
                'content-type': 'application/json',
                ...(cookie === undefined ? {} : { cookie: `__Host-baton_rt=${cookie}` }),
              },
              body: body === undefined ? null : JSON.stringify(body),
            }),
          )
        return { post }
      }

      const cookieOf = (res: Response) =>
        /^__Host-baton_rt=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')?.[1]
      const codeOf = async (res: Response) =>
        ((await res.json()) as { error?: { code?: string } }).error?.code

      it('runs login, refresh, a duplicate inside the grace window, then reuse detection', async () => {
        let offset = 0
        const { post } = bffOn(store, () => Date.now() + offset)

        const login = await post('/login', undefined, { username: userId, password: 'x' })
        expect(login.status).toBe(200)
        const { sessionId } = (await login.json()) as { sessionId: string }
        const first = cookieOf(login)!

        const refreshed = await post('/refresh', first)
        expect(refreshed.status).toBe(200)
        const second = cookieOf(refreshed)!
        expect(second).not.toBe(first)

        // A lost response or a second tab: the same old cookie gets the very same successor.
        const duplicate = await post('/refresh', first)
        expect(duplicate.status).toBe(200)
        expect(cookieOf(duplicate)).toBe(second)
        expect(await store.listByUser(userId, Date.now() + offset)).toHaveLength(1)

        // After the grace window, the old cookie is a copy someone kept: the family ends.
        offset += 11_000
        const replay = await post('/refresh', first)
        expect(replay.status).toBe(401)
        expect(await codeOf(replay)).toBe('refresh_token_reused')
        const current = await post('/refresh', second)
        expect(current.status).toBe(401)
        expect(await codeOf(current)).toBe('refresh_token_reused')
        expect(await store.get(sessionId)).toMatchObject({
          generation: 1,
          revokedReason: 'reuse_detected',
        })
        expect(await store.listByUser(userId, Date.now() + offset)).toStrictEqual([])
      })

      it('ends every session of the user on logout everywhere', async () => {
        const { post } = bffOn(store, () => Date.now())
        const logins = await Promise.all(
          [0, 1, 2].map(() => post('/login', undefined, { username: userId, password: 'x' })),
        )
        const cookies = logins.map((res) => cookieOf(res)!)
        expect(await store.listByUser(userId, Date.now())).toHaveLength(3)

        expect((await post('/logout', cookies[0], { everywhere: true })).status).toBe(204)
        expect(await store.listByUser(userId, Date.now())).toStrictEqual([])
        for (const cookie of cookies) {
          const res = await post('/refresh', cookie)
          expect(res.status).toBe(401)
          expect(await codeOf(res)).toBe('session_revoked')
        }
      })
    })
  })
}
