/**
 * The `FactorStore` contract on every built-in store: memory, SQLite, Redis, Redis Cluster and
 * PostgreSQL, the Redis store's `waitForReplicas` on its factor writes, and inputs of the second
 * factor routes that every store must answer alike. The shared backends skip with a printed
 * reason when they are not running.
 */
import { Redis, type Command } from 'ioredis'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { memoryStore } from '../src/stores/memory.js'
import { postgresStore } from '../src/stores/postgres.js'
import { redisStore, type RedisStoreOptions } from '../src/stores/redis.js'
import { sqliteStore } from '../src/stores/sqlite.js'
import type { FactorStore } from '../src/mfa/types.js'
import type { SessionStore } from '../src/stores/types.js'
import { expectError } from './helpers.js'
import { mfaClient, mfaHarness, softAuthenticator } from './mfa-helpers.js'
import { describeFactorStoreContract, passkeyFactor, totpFactor } from './mfa-store-contract.js'
import { dropSchema, POSTGRES_URL, postgresAvailable, uniqueSchema } from './postgres-helpers.js'
import {
  redisClusterBinaries,
  startRedisCluster,
  type RedisClusterUnderTest,
} from './redis-cluster-helpers.js'
import { deleteKeys, REDIS_URL, redisAvailable, uniquePrefix } from './redis-helpers.js'
import { everyStore } from './every-store.js'

/**
 * From the first reply `client` receives on, its commands fail as on a dropped connection without
 * reaching Redis: what a write made of several commands leaves when it is cut after the first.
 */
function dropAfterFirstReply(client: Redis) {
  const send = client.sendCommand.bind(client)
  let answered = false
  Object.assign(client, {
    sendCommand(command: Command) {
      if (answered) {
        command.reject(new Error('Connection is closed.'))
        return command.promise
      }
      command.promise.then(
        () => (answered = true),
        () => {},
      )
      return send(command)
    },
  })
}

const factorsOf = (store: SessionStore) => {
  const factors = store.factorStore?.()
  if (!factors) throw new Error('the store has no factorStore()')
  return factors
}

describeFactorStoreContract('memory', async () => {
  const store = memoryStore({ sweepInterval: 0 })
  return { store: factorsOf(store), cleanup: () => store.close() }
})

describeFactorStoreContract('sqlite', async () => {
  const store = sqliteStore({ path: ':memory:', sweepInterval: 0 })
  return { store: factorsOf(store), cleanup: () => store.close() }
})

describe.skipIf(!redisAvailable)('redis', () => {
  let admin: Redis
  beforeAll(() => {
    admin = new Redis(REDIS_URL)
  })
  afterAll(() => {
    admin.disconnect()
  })
  describeFactorStoreContract('redis', async () => {
    const prefix = uniquePrefix()
    const store = redisStore({ redis: REDIS_URL, keyPrefix: prefix })
    return {
      store: factorsOf(store),
      cleanup: async () => {
        await deleteKeys(admin, prefix)
        await store.close()
      },
    }
  })

  describe('createFactor', () => {
    const now = Date.now()
    const unavailable = { status: 503, code: 'store_unavailable' }
    const stores: SessionStore[] = []
    const clients: Redis[] = []
    let prefix: string
    let plain: FactorStore
    beforeEach(() => {
      prefix = uniquePrefix()
      const store = redisStore({ redis: REDIS_URL, keyPrefix: prefix })
      stores.push(store)
      plain = factorsOf(store)
    })
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((store) => store.close()))
      for (const client of clients.splice(0)) client.disconnect()
      await deleteKeys(admin, prefix)
    })
    const withClient = async (settings: Partial<RedisStoreOptions> = {}) => {
      const client = new Redis(REDIS_URL)
      clients.push(client)
      await client.ping()
      const store = redisStore({ redis: client, keyPrefix: prefix, ...settings })
      stores.push(store)
      return { client, factors: factorsOf(store) }
    }
    const withFactors = async (count: number) => {
      for (let i = 0; i < count; i++) await plain.createFactor(passkeyFactor('u', `p${i}`), now)
    }

    // Before: HSETNX of the record, then HSET of the fields the scripts compare. Cut between the
    // two, it left a passkey that read as pending and that no sign-in could use, and a TOTP
    // factor nothing could confirm, each counting against the cap.
    it('writes a factor whole or not at all when the connection drops during the write', async () => {
      const { client, factors } = await withClient()
      const factor = passkeyFactor('u', 'cut', 3)
      dropAfterFirstReply(client)
      await Promise.allSettled([factors.createFactor(factor, now)])
      expect([[], [factor]]).toContainEqual(await plain.listFactors('u'))
    })

    // Before: the cap was only the routes' reading of the list, so ceremonies finishing together
    // each found room for one more.
    it('refuses the factor past the cap, however many are created at once', async () => {
      await withFactors(18)
      const attempts = Array.from({ length: 6 }, (_, i) =>
        plain.createFactor(totpFactor('u', `t${i}`), now),
      )
      const results = await Promise.allSettled(attempts)
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(2)
      for (const result of results) {
        if (result.status === 'rejected') {
          expect(result.reason).toMatchObject({ status: 400, code: 'invalid_request' })
        }
      }
      expect(await plain.listFactors('u')).toHaveLength(20)
      // Another user's factors are theirs: the cap is per user.
      await plain.createFactor(totpFactor('v', 't'), now)
      await expect(plain.createFactor(totpFactor('u', 'late'), now)).rejects.toMatchObject({
        status: 400,
        code: 'invalid_request',
      })
      await plain.deleteFactor('u', 'p0')
      await plain.createFactor(totpFactor('u', 'room'), now)
      expect(await plain.listFactors('u')).toHaveLength(20)
    })

    it('refuses an id that is taken, and leaves the factor under it as it was', async () => {
      const factor = passkeyFactor('u', 'taken', 4)
      await plain.createFactor(factor, now)
      await expect(plain.createFactor(totpFactor('u', 'taken'), now)).rejects.toThrow(
        'factor taken already exists',
      )
      expect(await plain.listFactors('u')).toStrictEqual([factor])
    })

    // The write-then-wait path: the writes come first, then one WAIT. When it fails, the factor
    // is whole on the primary (the 503 says only that no replica confirmed it), never half.
    it('with waitForReplicas, leaves a whole, usable factor behind a failed wait', async () => {
      const { factors } = await withClient({ waitForReplicas: { replicas: 1, timeout: '20ms' } })
      const factor = totpFactor('u', 'waited', { confirmedAt: now, lastUsedAt: now, lastStep: 9 })
      await expect(factors.createFactor(factor, now)).rejects.toMatchObject(unavailable)
      expect(await plain.listFactors('u')).toStrictEqual([factor])
      expect(await plain.acceptTotpStep('u', 'waited', 10, now + 1, false)).toBe(true)
    })

    it('with waitForReplicas, refuses a factor past the cap at once: nothing written, no wait', async () => {
      const { factors } = await withClient({ waitForReplicas: { replicas: 1, timeout: '20ms' } })
      await withFactors(20)
      await expect(factors.createFactor(totpFactor('u', 'over'), now)).rejects.toMatchObject({
        status: 400,
        code: 'invalid_request',
      })
      expect(await plain.listFactors('u')).toHaveLength(20)
    })
  })

  // The test Redis has no replica, so no write can be confirmed: each one that wrote must answer
  // 503, like the session writes, or a failover could bring back a removed factor or a spent code.
  describe('with waitForReplicas and no replica', () => {
    const unavailable = { status: 503, code: 'store_unavailable' }
    const now = Date.now()
    let prefix: string
    let plain: SessionStore
    let waiting: SessionStore
    beforeEach(async () => {
      prefix = uniquePrefix()
      plain = redisStore({ redis: REDIS_URL, keyPrefix: prefix })
      waiting = redisStore({
        redis: REDIS_URL,
        keyPrefix: prefix,
        waitForReplicas: { replicas: 1, timeout: '20ms' },
      })
      // What the writes below change, written without waiting.
      const setup = factorsOf(plain)
      await setup.createFactor(totpFactor('u', 'totp'), now)
      await setup.createFactor(passkeyFactor('u', 'passkey'), now)
      await setup.replaceRecoveryCodes('u', ['h1'], now)
      await setup.putPending('p', 'value', now + 60_000, now)
    })
    afterEach(async () => {
      await Promise.all([plain.close(), waiting.close()])
      await deleteKeys(admin, prefix)
    })

    it.each([
      ['createFactor', (f: FactorStore) => f.createFactor(totpFactor('u', 'new'), now)],
      ['deleteFactor', (f: FactorStore) => f.deleteFactor('u', 'totp')],
      ['acceptTotpStep', (f: FactorStore) => f.acceptTotpStep('u', 'totp', 5, now, true)],
      ['recordPasskeyUse', (f: FactorStore) => f.recordPasskeyUse('u', 'passkey', 1, false, now)],
      ['replaceRecoveryCodes', (f: FactorStore) => f.replaceRecoveryCodes('u', ['h2'], now)],
      ['useRecoveryCode', (f: FactorStore) => f.useRecoveryCode('u', 'h1', now)],
      ['putPending', (f: FactorStore) => f.putPending('q', 'value', now + 60_000, now)],
      ['takePending', (f: FactorStore) => f.takePending('p', now)],
      ['failPending', (f: FactorStore) => f.failPending('p', now)],
    ])('%s answers 503 store_unavailable', async (_, write) => {
      await expect(write(factorsOf(waiting))).rejects.toMatchObject(unavailable)
    })

    it('reads, and writes that changed nothing, answer without waiting', async () => {
      const factors = factorsOf(waiting)
      expect((await factors.listFactors('u')).map((f) => f.id)).toStrictEqual(['totp', 'passkey'])
      expect(await factors.countRecoveryCodes('u')).toBe(1)
      expect(await factors.getPending('p', now)).toBe('value')
      expect(await factors.useRecoveryCode('u', 'unknown', now)).toBe(false)
      expect(await factors.deleteFactor('u', 'unknown')).toBe(false)
      expect(await factors.takePending('unknown', now)).toBeNull()
    })
  })
})

const binaries = redisClusterBinaries()

describe.skipIf(binaries === null)('redis cluster', () => {
  let cluster: RedisClusterUnderTest
  beforeAll(async () => {
    cluster = await startRedisCluster(binaries!)
  }, 60_000)
  afterAll(async () => {
    await cluster?.stop()
  })
  // Each test has its own prefix on a cluster that is thrown away afterwards.
  describeFactorStoreContract('redis cluster', async () => {
    const store = redisStore({ redis: { cluster: [...cluster.nodes] }, keyPrefix: uniquePrefix() })
    return { store: factorsOf(store), cleanup: () => store.close() }
  })
})

describe.skipIf(!postgresAvailable)('postgres', () => {
  describeFactorStoreContract('postgres', async () => {
    const schema = uniqueSchema()
    const store = postgresStore({ pool: POSTGRES_URL, schema, sweepInterval: 0 })
    await store.ready()
    return {
      store: factorsOf(store),
      cleanup: async () => {
        await store.close()
        await dropSchema(schema)
      },
    }
  })
})

/**
 * Inputs JSON carries but a store cannot hold as given (a NUL, refused by PostgreSQL's TEXT and
 * JSONB; a lone UTF-16 surrogate, refused by JSONB): every store must answer them alike, never as
 * `503 store_unavailable`, which reads as an outage and is retried in vain.
 */
describe('route inputs every store answers alike', () => {
  const stores = everyStore()

  describe.each(stores)('a factor label with a lone surrogate (%s)', (_name, available, make) => {
    // Before: 201 on memory, SQLite and Redis, 503 store_unavailable on PostgreSQL (JSONB).
    it.skipIf(!available)('is 400 invalid_request, never 503 store_unavailable', async () => {
      const h = await mfaHarness({}, { store: await make() })
      const m = mfaClient(h)
      const { body } = await h.login('alice')
      // Raw JSON text: `\ud800` is a valid JSON escape that JSON.parse turns into a lone surrogate.
      const res = await h.send('/auth/factors/totp', {
        method: 'POST',
        headers: { ...m.bearer(body.accessToken), 'content-type': 'application/json' },
        body: '{"label":"Phone \\ud800"}',
      })
      await expectError(res, 400, 'invalid_request')
    })
  })

  describe.each(stores)('a passkey transport with a NUL (%s)', (_name, available, make) => {
    // Before: stored as given in the factor's JSONB record, so 503 store_unavailable on PostgreSQL.
    // WebAuthn asks relying parties to ignore transports they do not know: 201, the hint dropped.
    it.skipIf(!available)('registers (201), the unknown hint dropped', async () => {
      const store = await make()
      const h = await mfaHarness({}, { store })
      const m = mfaClient(h)
      const { body } = await h.login('alice')
      const options = await m.api('/factors/passkey/options', body.accessToken)
      expect(options.status).toBe(200)
      const creation = (await options.json()) as { challenge: string; user: { id: string } }
      const response = softAuthenticator().register(creation)
      response.response.transports = ['internal\u0000', 'usb']
      const res = await m.api('/factors/passkey', body.accessToken, 'POST', { response })
      expect(res.status).toBe(201)
      const factors = await factorsOf(store).listFactors(body.user.id)
      expect(factors.map((factor) => factor.passkey?.transports)).toStrictEqual([['usb']])
    })
  })

  describe.each(stores)(
    'a passwordless user handle that is no id (%s)',
    (_name, available, make) => {
      // Before: 503 store_unavailable on PostgreSQL (TEXT refuses 0x00), to anyone, no account
      // needed; and bytes that are no UTF-8 were looked up as an id with U+FFFD in it.
      it.skipIf(!available).each([
        ['a NUL', 'AA'],
        ['an encoded lone surrogate (no UTF-8)', '7aCA'],
      ])('%s: 401 invalid_credentials, never 503 store_unavailable', async (_what, handle) => {
        const h = await mfaHarness({}, { store: await make() })
        const options = await h.post('/login/passkey/options', {
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
        expect(options.status).toBe(200)
        const { challenge } = (await options.json()) as { challenge: string }
        const assertion = softAuthenticator().assert(challenge)
        assertion.response.userHandle = handle
        const res = await h.post('/login/passkey', {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ assertion }),
        })
        await expectError(res, 401, 'invalid_credentials')
      })
    },
  )
})
