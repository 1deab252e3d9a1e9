/**
 * A revoked session's access token can outlive the session's idle deadline (the README: by up to
 * `accessTokenTtl`). The stores that replay revocations from their session records (memory,
 * SQLite, PostgreSQL: the table is the replay log) keep a revoked record through the replay
 * window even past its deadline, so a `requireAuth` that subscribes after the sweep (a process
 * restarted on the SQLite file, an instance that starts, a middleware made later) still refuses
 * that token. Before, the sweep removed the record at the idle deadline and the token passed.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Hono } from 'hono'
import { afterAll, describe, expect, it } from 'vitest'
import { createBff, createSigningKeys, generateSigningKey } from '../src/index.js'
import { sqliteStore } from '../src/stores/sqlite.js'
import {
  authenticate,
  client,
  createHarness,
  HOUR,
  MINUTE,
  requireAuthStatus,
  SECOND,
  testClock,
  testLogger,
} from './helpers.js'
import { postgresStore } from '../src/stores/postgres.js'
import { dropSchema, POSTGRES_URL, postgresAvailable, uniqueSchema } from './postgres-helpers.js'

describe('a revocation replayed to a late subscriber after the sweep', () => {
  it('memory store: a requireAuth made after the sweep still refuses the revoked token', async () => {
    const h = await createHarness()
    const login = await h.login('alice')
    h.clock.advance(24 * HOUR - MINUTE)
    // A background refresh (no activity): its token lives 4 minutes past the idle deadline.
    const { body } = await h.refreshOk(login.cookie)
    h.clock.advance(30 * SECOND)
    expect(await h.bff.admin.revokeSession(body.sessionId)).toBe(true)
    expect(await requireAuthStatus(h.bff, body.accessToken)).toBe(401)

    h.clock.advance(MINUTE) // past the idle deadline; the token is 90 s old, valid until +4 min
    h.store.sweep()

    expect(await requireAuthStatus(h.bff, body.accessToken)).toBe(401)
  })

  describe('sqlite store', () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-replay-sweep-'))
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    it('a process restarted on the file after the sweep still refuses the revoked token', async () => {
      const path = join(dir, 'sessions.db')
      const clock = testClock()
      const keys = createSigningKeys({ keys: [await generateSigningKey('ES256')] })
      const start = () => {
        const store = sqliteStore({ path, now: clock.now, sweepInterval: 0 })
        const bff = createBff({ authenticate, keys, store, now: clock.now, logger: testLogger() })
        return { store, bff, ...client(bff) }
      }

      const first = start()
      const login = await first.login('alice')
      clock.advance(24 * HOUR - MINUTE)
      const { body } = await first.refreshOk(login.cookie)
      clock.advance(30 * SECOND)
      expect(await first.bff.admin.revokeSession(body.sessionId)).toBe(true)
      expect(await requireAuthStatus(first.bff, body.accessToken)).toBe(401)
      clock.advance(MINUTE)
      first.store.sweep()
      await first.store.close()

      const second = start()
      try {
        // The token is 90 s old and valid for 2.5 more minutes; its session was revoked.
        expect(await requireAuthStatus(second.bff, body.accessToken)).toBe(401)
      } finally {
        await second.store.close()
      }
    })
  })
})

describe('postgres store, an instance that starts after the revocation', () => {
  if (!postgresAvailable) return void it.skip('PostgreSQL is not reachable')
  const schemas: string[] = []
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema)
  })

  /**
   * Instance A revokes a session whose last token outlives its idle deadline (and sweeps, as its
   * timer does every minute, when `sweep`); then instance B starts on the same schema and its
   * `bff.requireAuth()` is asked about the token, once its feed had time to replay.
   */
  async function statusOnLateInstance(sweep: boolean): Promise<number> {
    const schema = uniqueSchema()
    schemas.push(schema)
    const clock = testClock()
    const keys = createSigningKeys({ keys: [await generateSigningKey('ES256')] })
    const instance = () => {
      const store = postgresStore({ pool: POSTGRES_URL, schema, now: clock.now, sweepInterval: 0 })
      const bff = createBff({ authenticate, keys, store, now: clock.now, logger: testLogger() })
      return { store, bff, ...client(bff) }
    }
    const a = instance()
    let token: string
    try {
      const login = await a.login('alice')
      clock.advance(24 * HOUR - MINUTE)
      const { body } = await a.refreshOk(login.cookie)
      token = body.accessToken
      clock.advance(30 * SECOND)
      expect(await a.bff.admin.revokeSession(body.sessionId)).toBe(true)
      clock.advance(MINUTE) // past the idle deadline; the token is valid 2.5 more minutes
      if (sweep) await a.store.sweep()
    } finally {
      await a.store.close()
    }
    const b = instance()
    try {
      const api = new Hono()
      api.use('/api/*', b.bff.requireAuth())
      api.get('/api/me', (c) => c.body(null, 204))
      // The feed LISTENs and replays asynchronously: give it ample time.
      await new Promise((resolve) => setTimeout(resolve, 2_000))
      const res = await api.request('/api/me', { headers: { authorization: `Bearer ${token}` } })
      return res.status
    } finally {
      await b.store.close()
    }
  }

  it('set-up: without a sweep, the late instance refuses the revoked token', async () => {
    expect(await statusOnLateInstance(false)).toBe(401)
  }, 20_000)

  it('after the sweep, the late instance still refuses the revoked token', async () => {
    expect(await statusOnLateInstance(true)).toBe(401)
  }, 20_000)
})
