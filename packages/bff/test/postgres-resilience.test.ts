/**
 * The PostgreSQL store when the database or the network misbehaves: recovery after the database
 * was unreachable when the store started, a least-privilege role, the revocation feed's catch-up
 * after a dropped or silently dead LISTEN connection, and the sweep's margins (revoked rows for
 * the catch-up, expired ones for the refresh a second after the idle deadline).
 */
import { createServer, connect, type Server, type Socket } from 'node:net'
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { postgresStore, type PostgresStore } from '../src/stores/postgres.js'
import { postgresNames } from '../src/stores/postgres-schema.js'
import { POSTGRES_URL, dropSchema, postgresAvailable, uniqueSchema } from './postgres-helpers.js'
import { freePort } from './redis-helpers.js'
import { sessionRecord } from './store-contract.js'
import { createHarness } from './helpers.js'
import { EXPIRED_SESSION_RETENTION_MS } from '../src/stores/types.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) return false
    await sleep(20)
  }
  return true
}

/** A TCP proxy on `port` to the local PostgreSQL (5432), started when asked. */
function proxyTo5432(port: number) {
  const sockets = new Set<Socket>()
  const pairs: Array<[Socket, Socket]> = []
  let server: Server | null = null
  return {
    /**
     * The connections open now go silent, as when a NAT or load balancer forgets an idle flow:
     * nothing is forwarded any more, and neither end is told (no FIN, no RST). New connections
     * work.
     */
    blackholeOpenConnections() {
      for (const [downstream, upstream] of pairs.splice(0)) {
        downstream.unpipe(upstream)
        upstream.unpipe(downstream)
        downstream.removeAllListeners('data')
        upstream.removeAllListeners('data')
        downstream.on('data', () => {})
        upstream.on('data', () => {})
      }
    },
    start: () =>
      new Promise<void>((resolve, reject) => {
        server = createServer((downstream) => {
          const upstream = connect(5432, '127.0.0.1')
          sockets.add(downstream).add(upstream)
          pairs.push([downstream, upstream])
          downstream.pipe(upstream).pipe(downstream)
          const close = () => {
            downstream.destroy()
            upstream.destroy()
          }
          downstream.on('error', close).on('close', close)
          upstream.on('error', close).on('close', close)
        })
        server.once('error', reject)
        server.listen(port, '127.0.0.1', () => resolve())
      }),
    stop: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    },
  }
}

describe.skipIf(!postgresAvailable)('postgres store: availability and the revocation feed', () => {
  const opened: PostgresStore[] = []
  const schemas: string[] = []
  const cleanups: Array<() => Promise<void>> = []
  const proxies: Array<() => Promise<void>> = []

  afterEach(async () => {
    // Proxies first: a store cannot close a connection that went silent.
    for (const stop of proxies.splice(0)) await stop()
    await Promise.all(opened.splice(0).map((store) => store.close().catch(() => {})))
    for (const cleanup of cleanups.splice(0)) await cleanup()
    for (const schema of schemas.splice(0)) await dropSchema(schema)
  })

  it('recovers once the database is reachable again after being down when the store started', async () => {
    const port = await freePort()
    const schema = uniqueSchema()
    schemas.push(schema)
    // The database is down (nothing listens) while the instance starts: a normal rolling restart
    // during a database failover.
    const store = postgresStore({
      pool: `postgres://postgres@127.0.0.1:${port}/test`,
      schema,
      timeout: 500,
      sweepInterval: 0,
    })
    opened.push(store)
    await expect(store.get('nope')).rejects.toMatchObject({ code: 'store_unavailable' })

    // The database comes back.
    const proxy = proxyTo5432(port)
    await proxy.start()
    proxies.push(proxy.stop)
    // The proxy works: a store started now on the same URL serves at once.
    const fresh = postgresStore({
      pool: `postgres://postgres@127.0.0.1:${port}/test`,
      schema,
      timeout: 2_000,
      sweepInterval: 0,
    })
    opened.push(fresh)
    expect(await fresh.get('nope')).toBeNull()

    // A store whose backend returned must serve again (503 is "retry", never "forever").
    const recovered = await until(
      () =>
        store.get('nope').then(
          (value) => value === null,
          () => false,
        ),
      5_000,
    )
    expect(recovered).toBe(true)
    const now = Date.now()
    const session = sessionRecord('u', now)
    await store.create(session, now)
    expect((await store.get(session.id))?.id).toBe(session.id)
  }, 20_000)

  it('with revocationReplay 0, a reconnecting feed still catches up on a missed revocation after the sweep ran', async () => {
    // Documented: "`0` replays nothing to new subscribers (a reconnecting feed still catches up on
    // what it missed)". The catch-up reads revoked rows from the table, so the sweep keeps them
    // past their (idle) deadline while the session's last access token can still be valid.
    const schema = uniqueSchema()
    schemas.push(schema)
    const writer = postgresStore({
      pool: POSTGRES_URL,
      schema,
      sweepInterval: 0,
      revocationReplay: 0,
    })
    const reader = postgresStore({
      pool: POSTGRES_URL,
      schema,
      sweepInterval: 0,
      revocationReplay: 0,
    })
    opened.push(writer, reader)
    await Promise.all([writer.ready(), reader.ready()])
    const heard = new Set<string>()
    reader.subscribeRevocations((ids) => ids.forEach((id) => heard.add(id)))

    const admin = new pg.Client({ connectionString: POSTGRES_URL })
    await admin.connect()
    cleanups.push(() => admin.end())
    const channel = postgresNames(schema, 'baton_sessions').channel
    const listeningOn = `application_name = 'baton-revocations' AND query = 'LISTEN "${channel}"'`
    expect(
      await until(
        async () =>
          (await admin.query(`SELECT 1 FROM pg_stat_activity WHERE ${listeningOn}`)).rowCount === 1,
        5_000,
      ),
    ).toBe(true)

    const now = Date.now()
    // A session a few hundred ms before its idle deadline (its access token lives on past it).
    const session = sessionRecord('u', now, { idleExpiresAt: now + 300 })
    await writer.create(session, now)
    // The listening connection drops; the logout happens while it is down.
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE ${listeningOn}`)
    await writer.revoke(session.id, 'logout', Date.now())
    // The idle deadline passes and the writer's sweep runs before the reader is back (< 1 s),
    // past the margin every store keeps expired sessions for.
    await sleep(350)
    await writer.sweep(Date.now() + EXPIRED_SESSION_RETENTION_MS)

    // The reader reconnects within about a second and must hear the revocation it missed.
    expect(await until(() => heard.has(session.id), 4_000)).toBe(true)
  }, 15_000)

  it('starts for an application role that owns its (existing) schema but may not create schemas', async () => {
    // Least privilege: the DBA creates the schema for the application's role; the role owns it,
    // but has no CREATE on the database. Every migration would succeed inside its own schema,
    // yet `CREATE SCHEMA IF NOT EXISTS` is refused (PostgreSQL checks the database privilege
    // before it looks for the schema), so the store never becomes ready: every request 503.
    const role = `baton_review_${process.pid}_${Math.floor(Math.random() * 1e6)}`
    const schema = uniqueSchema()
    const admin = new pg.Client({ connectionString: POSTGRES_URL })
    await admin.connect()
    await admin.query(`CREATE ROLE "${role}" LOGIN`)
    await admin.query(`CREATE SCHEMA "${schema}" AUTHORIZATION "${role}"`)
    cleanups.push(async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      await admin.query(`DROP ROLE IF EXISTS "${role}"`)
      await admin.end()
    })
    const url = new URL(POSTGRES_URL)
    url.username = role
    url.password = ''
    const store = postgresStore({ pool: url.toString(), schema, sweepInterval: 0 })
    opened.push(store)

    await expect(store.ready()).resolves.toBeUndefined()
    const now = Date.now()
    const session = sessionRecord('u', now)
    await store.create(session, now)
    expect((await store.get(session.id))?.id).toBe(session.id)
  })

  it('notices a LISTEN connection that went silent (no FIN/RST) and catches up on what it missed', async () => {
    // An idle LISTEN connection is exactly what NATs and cloud load balancers drop silently
    // (e.g. an idle-flow timeout): without the heartbeat the feed would never learn, and every
    // later revocation would be lost for this instance (requireAuth({ checkRevoked }) accepting
    // those sessions' access tokens).
    const port = await freePort()
    const proxy = proxyTo5432(port)
    await proxy.start()
    proxies.push(proxy.stop)
    const schema = uniqueSchema()
    schemas.push(schema)
    const writer = postgresStore({ pool: POSTGRES_URL, schema, sweepInterval: 0 })
    const reader = postgresStore({
      pool: `postgres://postgres@127.0.0.1:${port}/test`,
      schema,
      sweepInterval: 0,
      timeout: 500,
      heartbeat: 200,
    })
    opened.push(writer, reader)
    await Promise.all([writer.ready(), reader.ready()])
    const heard = new Set<string>()
    reader.subscribeRevocations((ids) => ids.forEach((id) => heard.add(id)))
    const admin = new pg.Client({ connectionString: POSTGRES_URL })
    await admin.connect()
    cleanups.push(() => admin.end())
    const channel = postgresNames(schema, 'baton_sessions').channel
    expect(
      await until(
        async () =>
          (
            await admin.query(
              `SELECT 1 FROM pg_stat_activity WHERE application_name = 'baton-revocations' AND query = 'LISTEN "${channel}"'`,
            )
          ).rowCount === 1,
        5_000,
      ),
    ).toBe(true)

    // Before the silence, a revocation arrives (the set-up works).
    const now = Date.now()
    const before = sessionRecord('u', now)
    const after = sessionRecord('u', now)
    await writer.create(before, now)
    await writer.create(after, now)
    await writer.revoke(before.id, 'logout', Date.now())
    expect(await until(() => heard.has(before.id), 2_000), 'set-up: heard before the silence').toBe(
      true,
    )

    proxy.blackholeOpenConnections()
    await writer.revoke(after.id, 'logout', Date.now())
    // The heartbeat finds the silence within 0.7 s, the feed reconnects a second later and replays.
    expect(await until(() => heard.has(after.id), 5_000), 'heard after the silence').toBe(true)
  }, 10_000)

  it('answers 401 session_expired to a refresh a second after the idle deadline, also after a sweep', async () => {
    // README: "a second after it, one refresh gets `401 session_expired`". The sweep (as its timer
    // runs it) keeps a session a few minutes past its deadline, so it is not `no_session`.
    const schema = uniqueSchema()
    schemas.push(schema)
    const store = postgresStore({ pool: POSTGRES_URL, schema, sweepInterval: 0 })
    opened.push(store)
    const h = await createHarness({ store, now: () => Date.now(), idleTimeout: 1_000 })
    const { cookie } = await h.login('alice')
    await sleep(1_000 + 1_000)
    expect(await store.sweep()).toBe(0)
    const res = await h.refresh(cookie)
    expect({
      status: res.status,
      code: ((await res.json()) as { error: { code: string } }).error.code,
    }).toStrictEqual({ status: 401, code: 'session_expired' })
    expect(h.eventsOf('expired').map((event) => event.reason)).toStrictEqual(['idle'])
  }, 10_000)
})
