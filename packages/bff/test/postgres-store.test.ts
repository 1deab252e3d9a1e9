/**
 * What only the PostgreSQL store promises, beyond the shared contract: versioned migrations that
 * many instances can run at once, revocations and the epoch crossing instances through
 * LISTEN/NOTIFY (with the measured delay) and never into another schema or table, a replay after
 * the listening connection drops and to a late subscriber, pool ownership, and 503
 * `store_unavailable` when the database is unreachable.
 */
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { createBff, createSigningKeys, generateSigningKey } from '../src/index.js'
import { postgresStore, type PostgresStore } from '../src/stores/postgres.js'
import { postgresNames, SCHEMA_VERSION } from '../src/stores/postgres-schema.js'
import { authenticate, client as bffClient, requireAuthStatus } from './helpers.js'
import { POSTGRES_URL, dropSchema, postgresAvailable, uniqueSchema } from './postgres-helpers.js'
import { sessionRecord } from './store-contract.js'

/** Polls `check` until it holds; returns how long that took, in ms. */
async function timeUntil(check: () => boolean | Promise<boolean>, timeoutMs = 5_000) {
  const start = performance.now()
  while (!(await check())) {
    if (performance.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return performance.now() - start
}

describe.skipIf(!postgresAvailable)('postgresStore', () => {
  const opened: PostgresStore[] = []
  const schemas: string[] = []
  const admin = () => new pg.Client({ connectionString: POSTGRES_URL })

  const open = (
    schema = uniqueSchema(),
    options: { tableName?: string; revocationReplay?: number } = {},
  ) => {
    if (!schemas.includes(schema)) schemas.push(schema)
    const store = postgresStore({ pool: POSTGRES_URL, schema, sweepInterval: 0, ...options })
    opened.push(store)
    return store
  }

  /** The `pg_stat_activity` condition of the connection listening for `schema`.`table`. */
  const listeningOn = (schema: string, table = 'baton_sessions') =>
    `application_name = 'baton-revocations' AND query = 'LISTEN "${postgresNames(schema, table).channel}"'`

  /** Waits until the store of `schema`.`table` listens. */
  const listening = (schema: string, table?: string) =>
    timeUntil(async () => {
      const client = admin()
      await client.connect()
      try {
        const { rowCount } = await client.query(
          `SELECT 1 FROM pg_stat_activity WHERE ${listeningOn(schema, table)}`,
        )
        return rowCount === 1
      } finally {
        await client.end()
      }
    })

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()))
    for (const schema of schemas.splice(0)) await dropSchema(schema)
  })

  describe('migrations', () => {
    it('applies each migration once when ten instances start together on an empty schema', async () => {
      const schema = uniqueSchema()
      const stores = Array.from({ length: 10 }, () => open(schema))
      await Promise.all(stores.map((store) => store.ready()))
      const client = admin()
      await client.connect()
      try {
        const { rows } = await client.query<{ version: number; name: string }>(
          `SELECT version, name FROM "${schema}".baton_sessions_migrations ORDER BY version`,
        )
        expect(rows).toStrictEqual([
          { version: 1, name: 'sessions, meta and rate-limit tables' },
          { version: 2, name: 'DPoP binding: sessions.jkt and the proof replay cache' },
          {
            version: 3,
            name: 'second factors: factors, recovery codes, pending tickets and challenges',
          },
          {
            version: 4,
            name: 'OpenID Connect state: transactions, logout jtis, upstream tokens, leases',
          },
        ])
      } finally {
        await client.end()
      }
      // Every instance works on the one schema.
      const now = Date.now()
      await stores[3]!.create(sessionRecord('u', now), now)
      expect(await stores[7]!.listByUser('u', now)).toHaveLength(1)
    })

    it('migrates stores of several tables starting together in a new schema', async () => {
      const schema = uniqueSchema()
      const tables = ['one', 'two', 'three', 'four']
      const stores = tables.map((tableName) => open(schema, { tableName }))
      await Promise.all(stores.map((store) => store.ready()))
      const client = admin()
      await client.connect()
      try {
        const { rows } = await client.query<{ table: string }>(
          `SELECT table_name AS table FROM information_schema.tables
           WHERE table_schema = $1 AND table_name LIKE '%_migrations' ORDER BY table_name`,
          [schema],
        )
        expect(rows.map((row) => row.table)).toStrictEqual(
          tables.map((table) => `${table}_migrations`).sort(),
        )
      } finally {
        await client.end()
      }
    })

    it('refuses a schema a newer version migrated, naming both versions', async () => {
      const schema = uniqueSchema()
      await open(schema).ready()
      const client = admin()
      await client.connect()
      await client.query(
        `INSERT INTO "${schema}".baton_sessions_migrations (version, name) VALUES (99, 'future')`,
      )
      await client.end()
      const store = open(schema)
      await expect(store.ready()).rejects.toThrow(
        `postgresStore: "${schema}"."baton_sessions" is at schema version 99, newer than this @baton/bff knows (${SCHEMA_VERSION})`,
      )
      await expect(store.get('any')).rejects.toMatchObject({
        status: 503,
        code: 'store_unavailable',
      })
    })

    it('refuses a schema or table name that is not a plain identifier, at construction', () => {
      expect(() => postgresStore({ pool: POSTGRES_URL, schema: 'a"; DROP TABLE x; --' })).toThrow(
        TypeError,
      )
      expect(() => postgresStore({ pool: POSTGRES_URL, tableName: 'x'.repeat(53) })).toThrow(
        /at most 52 characters/,
      )
    })
  })

  describe('revocations across instances (LISTEN/NOTIFY)', () => {
    it('tells the other instance which sessions were revoked, and the epoch', async () => {
      const schema = uniqueSchema()
      // No replay on subscribing: it could repeat a revocation below, which this counts exactly.
      const [writer, reader] = [open(schema), open(schema, { revocationReplay: 0 })]
      await Promise.all([writer.ready(), reader.ready()])
      const heard: string[] = []
      const epochs: number[] = []
      reader.subscribeRevocations((ids) => heard.push(...ids))
      reader.subscribeRevocationEpoch((epoch) => epochs.push(epoch))
      const now = Date.now()
      const sessions = ['one', 'two', 'three'].map((id) => ({ ...sessionRecord('u', now), id }))
      for (const session of sessions) await writer.create(session, now)
      // The listener connects on the first subscription; let it.
      await listening(schema)

      await writer.revoke('one', 'logout', now)
      const oneMs = await timeUntil(() => heard.includes('one'))
      await writer.revokeByUser('u', 'logout_everywhere', now)
      await timeUntil(() => heard.includes('two') && heard.includes('three'))
      await writer.raiseRevocationEpoch(now)
      await timeUntil(() => epochs.includes(now))
      console.log(
        `[baton] postgres: a revocation reached the other instance in ${oneMs.toFixed(1)} ms`,
      )
      expect(heard.toSorted()).toStrictEqual(['one', 'three', 'two'])
    })

    it('replays what was revoked while its listening connection was down', async () => {
      const schema = uniqueSchema()
      const [writer, reader] = [open(schema), open(schema)]
      await Promise.all([writer.ready(), reader.ready()])
      const heard = new Set<string>()
      reader.subscribeRevocations((ids) => ids.forEach((id) => heard.add(id)))
      const now = Date.now()
      await writer.create({ ...sessionRecord('u', now), id: 'during-outage' }, now)
      await listening(schema)
      const client = admin()
      await client.connect()
      try {
        // The listening connection dies (a failover, a proxy timeout), then the revocation happens:
        // its NOTIFY reaches nobody on that connection.
        await client.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE ${listeningOn(schema)}`,
        )
        await writer.revoke('during-outage', 'revoked', Date.now())
        const ms = await timeUntil(() => heard.has('during-outage'), 10_000)
        console.log(
          `[baton] postgres: a revocation missed during a dropped LISTEN connection replayed after ${ms.toFixed(0)} ms`,
        )
      } finally {
        await client.end()
      }
    })

    it('replays recent revocations to an instance that subscribes later, and to a new listener', async () => {
      const schema = uniqueSchema()
      const early = open(schema)
      const now = Date.now()
      const revoked = { ...sessionRecord('u', now), id: 'revoked-before-start' }
      await early.create(revoked, now)
      await early.create({ ...sessionRecord('u', now), id: 'live' }, now)
      await early.revoke(revoked.id, 'logout', now)

      const late = open(schema)
      const heard: string[] = []
      late.subscribeRevocations((ids) => heard.push(...ids))
      await timeUntil(() => heard.length > 0)
      // A listener added to a feed already listening (another requireAuth) hears it too.
      const second: string[] = []
      late.subscribeRevocations((ids) => second.push(...ids))
      await timeUntil(() => second.length > 0)
      expect(heard).toStrictEqual([revoked.id])
      expect(second).toStrictEqual([revoked.id])
    })

    it('replays nothing to a new subscriber when revocationReplay is 0', async () => {
      const schema = uniqueSchema()
      const early = open(schema)
      const now = Date.now()
      await early.create({ ...sessionRecord('u', now), id: 'before' }, now)
      await early.create({ ...sessionRecord('u', now), id: 'after' }, now)
      await early.revoke('before', 'logout', now)

      const late = open(schema, { revocationReplay: 0 })
      const heard: string[] = []
      late.subscribeRevocations((ids) => heard.push(...ids))
      await listening(schema)
      // Heard over LISTEN, after anything a replay would have delivered.
      await early.revoke('after', 'logout', now)
      await timeUntil(() => heard.length > 0)
      expect(heard).toStrictEqual(['after'])
    })

    // Channels are per database: a channel derived loosely from the names (joined, lower-cased,
    // cut) let one application's revokeAll() end another's sessions.
    it.each([
      {
        pair: 'schema a / table b_c vs schema a_b / table c',
        names: (base: string) => [`${base}_a`, 'b_sessions', `${base}_a_b`, 'sessions'],
      },
      {
        pair: 'tables differing in case',
        names: (base: string) => [base, 'Sessions', base, 'sessions'],
      },
      {
        pair: 'names equal in their first 63 characters',
        names: (base: string) => {
          const long = `${base}_${'s'.repeat(51 - base.length)}`
          return [long, 'sessions_a_one', long, 'sessions_a_two']
        },
      },
    ])('keeps revocations and the epoch between its own instances ($pair)', async ({ names }) => {
      const [schemaA, tableA, schemaB, tableB] = names(uniqueSchema()) as [
        string,
        string,
        string,
        string,
      ]
      const appA = open(schemaA, { tableName: tableA })
      // Two instances of B: the reader hears B's writer only through its LISTEN, as it would A's.
      // No replay, which could repeat the writer's revocation.
      const writerB = open(schemaB, { tableName: tableB })
      const readerB = open(schemaB, { tableName: tableB, revocationReplay: 0 })
      await Promise.all([appA.ready(), writerB.ready(), readerB.ready()])
      const heard: string[] = []
      const epochs: number[] = []
      readerB.subscribeRevocations((ids) => heard.push(...ids))
      readerB.subscribeRevocationEpoch((epoch) => epochs.push(epoch))
      await listening(schemaB, tableB)
      const now = Date.now()
      for (const store of [appA, writerB]) {
        await store.create({ ...sessionRecord('u', now), id: 'same-id' }, now)
      }

      await appA.revoke('same-id', 'logout', now)
      await appA.raiseRevocationEpoch(now + 1_000)
      // B's announcements follow A's: had A's reached B's reader, they would have arrived first.
      await writerB.raiseRevocationEpoch(now)
      await writerB.revoke('same-id', 'logout', now)
      await timeUntil(() => heard.length > 0)
      expect(epochs).toStrictEqual([now])
      expect(heard).toStrictEqual(['same-id'])
      expect(await readerB.getRevocationEpoch()).toBe(now)
    })

    it('announces on the channel of the previous build too, for its instances during a rolling upgrade', async () => {
      const schema = uniqueSchema()
      const store = open(schema)
      await store.ready()
      // What an instance of the build before the digest listens on.
      const oldInstance = admin()
      await oldInstance.connect()
      const heard: string[] = []
      oldInstance.on('notification', (message) =>
        heard.push(`${message.channel} ${message.payload}`),
      )
      try {
        await oldInstance.query(`LISTEN "${`${schema}_baton_sessions`.toLowerCase()}"`)
        const now = Date.now()
        await store.create({ ...sessionRecord('u', now), id: 'revoked-on-a-new-instance' }, now)
        await store.revoke('revoked-on-a-new-instance', 'logout', now)
        await store.raiseRevocationEpoch(now + 1_000)
        await timeUntil(() => heard.length === 2)
        expect(heard).toStrictEqual([
          `${schema}_baton_sessions {"revoked":["revoked-on-a-new-instance"]}`,
          `${schema}_baton_sessions {"epoch":${now + 1_000}}`,
        ])
      } finally {
        await oldInstance.end()
      }
    })

    it("leaves another application's access tokens valid when one application revokes all", async () => {
      const base = uniqueSchema()
      const appA = open(`${base}_x`, { tableName: 'y_sessions' })
      const storeB = open(`${base}_x_y`, { tableName: 'sessions' })
      const otherB = open(`${base}_x_y`, { tableName: 'sessions' })
      await Promise.all([appA.ready(), storeB.ready(), otherB.ready()])
      const bffB = createBff({
        authenticate,
        keys: createSigningKeys({ keys: [await generateSigningKey('ES256')] }),
        store: storeB,
      })
      const { body } = await bffClient(bffB).login('alice')
      expect(await requireAuthStatus(bffB, body.accessToken)).toBe(204)
      await listening(`${base}_x_y`, 'sessions')
      const epochs: number[] = []
      storeB.subscribeRevocationEpoch((epoch) => epochs.push(epoch))

      await appA.raiseRevocationEpoch(Date.now() + 60_000)
      // A's epoch notice would have reached B's connection before this one of B's other instance.
      await otherB.raiseRevocationEpoch(1)
      await timeUntil(() => epochs.length > 0)
      expect(epochs).toStrictEqual([1])
      expect(await requireAuthStatus(bffB, body.accessToken)).toBe(204)
    })
  })

  describe('availability', () => {
    it('answers 503 store_unavailable through the BFF when the database cannot be reached', async () => {
      const store = postgresStore({
        pool: 'postgres://postgres@127.0.0.1:1/test',
        timeout: 500,
        sweepInterval: 0,
      })
      opened.push(store)
      const bff = createBff({
        keys: createSigningKeys({ keys: [await generateSigningKey('ES256')] }),
        store,
        allowedOrigins: ['http://app.test'],
        authenticate: async () => ({ id: 'u' }),
        rateLimit: false,
      })
      const response = await bff.request('http://bff.test/auth/login', {
        method: 'POST',
        headers: { origin: 'http://app.test', 'x-csrf': '1', 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'u', password: 'p' }),
      })
      expect(response.status).toBe(503)
      expect(await response.json()).toMatchObject({ error: { code: 'store_unavailable' } })
    })

    it('serves a sign-in sent before its migrations ran, rate limits included', async () => {
      const store = open()
      const bff = createBff({
        keys: createSigningKeys({ keys: [await generateSigningKey('ES256')] }),
        store,
        allowedOrigins: ['http://app.test'],
        authenticate: async () => ({ id: 'u' }),
      })
      // No `ready()` first: the username budget's table comes with the first migration.
      const response = await bff.request('http://bff.test/auth/login', {
        method: 'POST',
        headers: { origin: 'http://app.test', 'x-csrf': '1', 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'u', password: 'p' }),
      })
      expect(response.status).toBe(200)
    })

    it('leaves a pool it was given open on close()', async () => {
      const pool = new pg.Pool({ connectionString: POSTGRES_URL })
      const schema = uniqueSchema()
      schemas.push(schema)
      const store = postgresStore({ pool, schema, sweepInterval: 0 })
      await store.ready()
      await store.close()
      expect((await pool.query<{ one: number }>('SELECT 1 AS one')).rows).toStrictEqual([
        { one: 1 },
      ])
      await pool.end()
    })
  })
})
