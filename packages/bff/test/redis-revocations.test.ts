/**
 * The Redis revocation feed: its message parser (what another instance publishes, read
 * defensively), and revocations whose reply was lost after Redis applied them, which the retry
 * must still announce to the other instances.
 */
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { parseRevocationMessage } from '../src/stores/redis-revocations.js'
import { RAISE_EPOCH, REVOKE, type LuaScript } from '../src/stores/redis-scripts.js'
import { redisStore, type RedisStore } from '../src/stores/redis.js'
import { deleteKeys, REDIS_URL, redisAvailable, uniquePrefix } from './redis-helpers.js'
import { sessionRecord } from './store-contract.js'

describe('parseRevocationMessage()', () => {
  it('reads the origin and the ids', () => {
    expect(parseRevocationMessage('{"o":"abc","ids":["s1","s2"]}')).toStrictEqual({
      origin: 'abc',
      ids: ['s1', 's2'],
      epoch: null,
    })
  })

  it('reads an epoch (bff.admin.revokeAll) and ignores one that is not a positive number', () => {
    expect(parseRevocationMessage('{"o":"abc","ids":[],"epoch":1705309201000}')).toStrictEqual({
      origin: 'abc',
      ids: [],
      epoch: 1705309201000,
    })
    expect(parseRevocationMessage('{"o":"abc","ids":[],"epoch":"1"}')?.epoch).toBeNull()
    expect(parseRevocationMessage('{"o":"abc","ids":[],"epoch":-5}')?.epoch).toBeNull()
  })

  it('drops ids that are not strings', () => {
    expect(parseRevocationMessage('{"o":"abc","ids":["s1",2,null,{"x":1}]}')).toStrictEqual({
      origin: 'abc',
      ids: ['s1'],
      epoch: null,
    })
  })

  it.each([
    ['invalid JSON', '{"o":'],
    ['JSON null', 'null'],
    ['a string', '"s1"'],
    ['no origin', '{"ids":["s1"]}'],
    ['a numeric origin', '{"o":1,"ids":["s1"]}'],
    ['ids that are not an array', '{"o":"abc","ids":"s1"}'],
  ])('ignores %s', (_, message) => {
    expect(parseRevocationMessage(message)).toBeNull()
  })
})

/**
 * Makes `client` lose its next `count` replies to `lua`: Redis runs the script, and the caller
 * hears what a command timeout or a connection dropped at that moment tells it.
 */
function loseReplies(client: Redis, lua: LuaScript, count: number) {
  let left = count
  // EVALSHA, or the EVAL that loads the script when Redis does not have it yet.
  const lossy =
    (send: (...args: unknown[]) => Promise<unknown>, name: string) =>
    async (...args: unknown[]) => {
      const reply = await send(...args)
      if (args[0] === name && left > 0) {
        left--
        throw new Error('Command timed out')
      }
      return reply
    }
  Object.assign(client, {
    evalsha: lossy(client.evalsha.bind(client) as never, lua.sha),
    eval: lossy(client.eval.bind(client) as never, lua.source),
  })
}

describe.skipIf(!redisAvailable)('a revocation whose reply was lost after Redis applied it', () => {
  let admin: Redis
  const opened: RedisStore[] = []
  const clients: Redis[] = []
  const prefixes: string[] = []
  const unavailable = { status: 503, code: 'store_unavailable' }

  beforeAll(() => {
    admin = new Redis(REDIS_URL)
  })
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()))
    for (const client of clients.splice(0)) client.disconnect()
    for (const prefix of prefixes.splice(0)) await deleteKeys(admin, prefix)
  })
  afterAll(async () => {
    await admin.quit()
  })

  /** A revoker whose client loses replies to `lua`, and another instance that listens. */
  const instances = async (lua: LuaScript, lost: number) => {
    const prefix = uniquePrefix()
    prefixes.push(prefix)
    const client = new Redis(REDIS_URL)
    clients.push(client)
    loseReplies(client, lua, lost)
    const revoker = redisStore({ redis: client, keyPrefix: prefix })
    const other = redisStore({ redis: REDIS_URL, keyPrefix: prefix })
    opened.push(revoker, other)
    const heard = new Set<string>()
    const epochs: number[] = []
    other.subscribeRevocations((ids) => ids.forEach((id) => heard.add(id)))
    other.subscribeRevocationEpoch((epoch) => epochs.push(epoch))
    await vi.waitFor(async () => {
      expect(await admin.pubsub('NUMSUB', other.keys.channel)).toStrictEqual([
        other.keys.channel,
        1,
      ])
    })
    return { revoker, other, heard, epochs }
  }

  // Before, the retry found the session revoked already, returned null and announced nothing:
  // the other instances' requireAuth({ checkRevoked }) kept accepting its access tokens.
  it('is announced by the retry of revoke, which finds it revoked already', async () => {
    const { revoker, other, heard } = await instances(REVOKE, 1)
    const now = Date.now()
    const session = sessionRecord('lost-reply-user', now)
    await other.create(session, now)

    await expect(revoker.revoke(session.id, 'logout', now)).rejects.toMatchObject(unavailable)
    expect((await other.get(session.id))?.revokedAt).toBe(now)
    await expect(revoker.revoke(session.id, 'logout', now + 1)).resolves.toBeNull()

    await vi.waitFor(() => expect([...heard]).toStrictEqual([session.id]))
    expect(await admin.zscore(other.keys.revoked, session.id)).not.toBeNull()
    // The first revocation stands: the retry changed nothing but the announcement.
    expect(await other.get(session.id)).toMatchObject({ revokedAt: now, revokedReason: 'logout' })
  })

  // Before, a revocation whose reply was lost was announced only by a retry, and many callers
  // never retry: a logout answered 503 clears the cookie all the same, reuse detection moves on.
  it('is announced at once, with no retry, when Redis applied it', async () => {
    const { revoker, heard } = await instances(REVOKE, 1)
    const now = Date.now()
    const session = sessionRecord('lost-reply-user', now)
    await revoker.create(session, now)

    await expect(revoker.revoke(session.id, 'logout', now)).rejects.toMatchObject(unavailable)
    await vi.waitFor(() => expect([...heard]).toStrictEqual([session.id]))
    expect(await admin.zscore(revoker.keys.revoked, session.id)).not.toBeNull()
  })

  it('is announced at once by revokeByUser, for the sessions Redis revoked', async () => {
    const { revoker, heard } = await instances(REVOKE, 1)
    const now = Date.now()
    const sessions = [sessionRecord('lost-reply-user', now), sessionRecord('lost-reply-user', now)]
    for (const session of sessions) await revoker.create(session, now)

    await expect(
      revoker.revokeByUser('lost-reply-user', 'logout_everywhere', now),
    ).rejects.toMatchObject(unavailable)
    const ids = sessions.map((session) => session.id).sort()
    await vi.waitFor(() => expect([...heard].sort()).toStrictEqual(ids))
  })

  // Before, the retry (revoking only live sessions) skipped the session whose reply was lost.
  it('is announced by the retry of revokeByUser, which finds it revoked already', async () => {
    const { revoker, other, heard } = await instances(REVOKE, 1)
    const now = Date.now()
    const sessions = [sessionRecord('lost-reply-user', now), sessionRecord('lost-reply-user', now)]
    for (const session of sessions) await other.create(session, now)

    await expect(
      revoker.revokeByUser('lost-reply-user', 'logout_everywhere', now),
    ).rejects.toMatchObject(unavailable)
    await expect(
      revoker.revokeByUser('lost-reply-user', 'logout_everywhere', now + 1),
    ).resolves.toStrictEqual([])

    const ids = sessions.map((session) => session.id).sort()
    await vi.waitFor(() => expect([...heard].sort()).toStrictEqual(ids))
    expect((await admin.zrange(other.keys.revoked, 0, -1)).sort()).toStrictEqual(ids)
  })

  // Before, every revoked session still in the user's index was announced again at each call:
  // a publish per past revocation on every "sign out everywhere".
  it('announces again only what was revoked within the replay window', async () => {
    const { revoker, heard } = await instances(REVOKE, 0)
    const now = Date.now()
    const day = { expiresAt: now + 86_400_000, idleExpiresAt: now + 86_400_000 }
    const old = sessionRecord('tombstone-user', now, day)
    await revoker.create(old, now)
    await revoker.revoke(old.id, 'logout', now)
    await vi.waitFor(() => expect([...heard]).toStrictEqual([old.id]))
    heard.clear()

    const later = now + 15 * 60_000
    const live = sessionRecord('tombstone-user', later, day)
    await revoker.create(live, later)
    const revoked = await revoker.revokeByUser('tombstone-user', 'logout_everywhere', later)
    expect(revoked.map((session) => session.id)).toStrictEqual([live.id])
    await expect(revoker.revoke(old.id, 'logout', later)).resolves.toBeNull()

    // Messages arrive in order: once the marker is heard, nothing about `old` is on its way.
    const marker = sessionRecord('someone-else', later, day)
    await revoker.create(marker, later)
    await revoker.revoke(marker.id, 'logout', later)
    await vi.waitFor(() => expect([...heard]).toStrictEqual([live.id, marker.id]))
  })

  // The epoch already was: RAISE_EPOCH answers the epoch in force, which the retry announces.
  it('is announced by the retry of raiseRevocationEpoch', async () => {
    const { revoker, epochs } = await instances(RAISE_EPOCH, 1)
    const epoch = Date.now()
    await expect(revoker.raiseRevocationEpoch(epoch)).rejects.toMatchObject(unavailable)
    await expect(revoker.raiseRevocationEpoch(epoch)).resolves.toBe(epoch)
    await vi.waitFor(() => expect(epochs).toStrictEqual([epoch]))
  })
})
