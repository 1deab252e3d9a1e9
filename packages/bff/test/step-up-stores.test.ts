/**
 * Issue 13: the session's authentication facts in stores written before they existed. An SQLite
 * file with the old schema is migrated in place (its rows read `authTime = createdAt`,
 * `amr = ['pwd']`), and an old Redis record decodes the same way.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisStore } from '../src/stores/redis.js'
import { sqliteStore } from '../src/stores/sqlite.js'
import { REDIS_URL, deleteKeys, redisAvailable, uniquePrefix } from './redis-helpers.js'

const NOW = Date.UTC(2030, 0, 1)
const HOUR = 3_600_000

/** The fields of a session as the previous version stored them. */
const old = {
  id: 'old-session-id-0000000',
  userId: 'user-old',
  user: { id: 'user-old' },
  createdAt: NOW - HOUR,
  lastUsedAt: NOW - 60_000,
  expiresAt: NOW + HOUR,
  idleExpiresAt: NOW + HOUR,
  tokenKey: 'k',
  tokenHash: 'h',
  generation: 3,
}

describe('sqlite: a file with the schema of the previous version', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-step-up-'))
  })
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('is migrated in place: old rows keep working with authTime = createdAt', async () => {
    const path = join(dir, 'old.db')
    const db = new Database(path)
    db.exec(`
      CREATE TABLE baton_sessions (
        id TEXT PRIMARY KEY, user_id TEXT NOT NULL, user_json TEXT NOT NULL,
        created_at INTEGER NOT NULL, last_used_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
        idle_expires_at INTEGER NOT NULL, user_agent TEXT, ip TEXT, token_key TEXT NOT NULL,
        token_hash TEXT NOT NULL, previous_token_hash TEXT, rotated_at INTEGER,
        sealed_successor TEXT, generation INTEGER NOT NULL, revoked_at INTEGER, revoked_reason TEXT
      )`)
    db.prepare(
      `INSERT INTO baton_sessions VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, NULL, NULL, NULL, ?, NULL, NULL)`,
    ).run(
      old.id,
      old.userId,
      JSON.stringify(old.user),
      old.createdAt,
      old.lastUsedAt,
      old.expiresAt,
      old.idleExpiresAt,
      old.tokenKey,
      old.tokenHash,
      old.generation,
    )
    db.close()

    const store = sqliteStore({ path, sweepInterval: 0 })
    const session = await store.get(old.id)
    expect(session).toMatchObject({ authTime: old.createdAt, amr: ['pwd'], acr: null })
    expect(await store.listByUser(old.userId, NOW)).toHaveLength(1)
    expect(await store.getRevocationEpoch()).toBe(0)

    // New rows and rotations write the new columns.
    const rotation = {
      tokenHash: 'h2',
      previousTokenHash: 'h',
      rotatedAt: NOW,
      sealedSuccessor: null,
      generation: 4,
      lastUsedAt: NOW,
      idleExpiresAt: NOW + HOUR,
      ip: null,
      userAgent: null,
      authTime: NOW,
      amr: ['pwd'],
      acr: 'urn:example:aal1',
    }
    expect(await store.rotate(old.id, 'h', rotation, NOW)).toBe(true)
    await store.close()

    // Opening the migrated file again changes nothing.
    const reopened = sqliteStore({ path, sweepInterval: 0 })
    expect(await reopened.get(old.id)).toMatchObject({
      authTime: NOW,
      amr: ['pwd'],
      acr: 'urn:example:aal1',
    })
    expect(await reopened.raiseRevocationEpoch(NOW)).toBe(NOW)
    await reopened.close()
    const again = sqliteStore({ path, sweepInterval: 0 })
    expect(await again.getRevocationEpoch()).toBe(NOW)
    await again.close()
  })
})

describe.skipIf(!redisAvailable)('redis: a record of the previous version', () => {
  let admin: Redis
  const prefix = uniquePrefix()
  beforeAll(() => {
    admin = new Redis(REDIS_URL)
  })
  afterAll(async () => {
    await deleteKeys(admin, prefix)
    await admin.quit()
  })

  it('decodes with authTime = createdAt and amr ["pwd"]', async () => {
    const store = redisStore({ redis: REDIS_URL, keyPrefix: prefix })
    const fields = Object.entries({ ...old, user: JSON.stringify(old.user) }).flatMap(([k, v]) => [
      k,
      String(v),
    ])
    await admin.hset(store.keys.session(old.id), ...fields)
    expect(await store.get(old.id)).toMatchObject({
      authTime: old.createdAt,
      amr: ['pwd'],
      acr: null,
    })
    await store.close()
  })
})
