/**
 * What only the SQLite store promises, beyond the shared contract: WAL mode and its indexes, the
 * sweep of rows past their deadlines, the replay of recent revocations to a new subscriber,
 * ownership of the database, and 503 when it is unusable.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EXPIRED_SESSION_RETENTION_MS } from '../src/stores/types.js'
import { sqliteStore, type SqliteStore } from '../src/stores/sqlite.js'
import { sessionRecord } from './store-contract.js'

describe('sqliteStore', () => {
  const opened: SqliteStore[] = []
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()))
  })
  const open = (options: Parameters<typeof sqliteStore>[0]) => {
    const store = sqliteStore(options)
    opened.push(store)
    return store
  }

  it('refuses ambiguous or unsafe options when it is created', () => {
    expect(() => sqliteStore({})).toThrow(TypeError)
    expect(() => sqliteStore({ path: ':memory:', database: new Database(':memory:') })).toThrow(
      TypeError,
    )
    expect(() => sqliteStore({ path: ':memory:', tableName: 'sessions; DROP TABLE x' })).toThrow(
      TypeError,
    )
  })

  it('indexes sessions by user, by deadline and by revocation', () => {
    const store = open({ path: ':memory:' })
    const indexes = store.database
      .prepare<[], { name: string }>(`SELECT name FROM pragma_index_list('baton_sessions')`)
      .all()
      .map((row) => row.name)
    expect(indexes).toEqual(
      expect.arrayContaining([
        'baton_sessions_user_id',
        'baton_sessions_deadline',
        'baton_sessions_revoked_at',
      ]),
    )
  })

  it('replays to a new subscriber the sessions revoked within revocationReplay', async () => {
    const database = new Database(':memory:')
    try {
      const t = Date.now()
      const before = open({ database, sweepInterval: 0 })
      for (const [id, at] of [
        ['long-ago', t - 60_000],
        ['recent', t - 1_000],
      ] as const) {
        await before.create({ ...sessionRecord('u', at), id }, at)
        await before.revoke(id, 'logout', at)
      }
      await before.create({ ...sessionRecord('u', t), id: 'live' }, t)

      const heard = (options: { revocationReplay?: number }) => {
        const ids: string[] = []
        const restarted = open({ database, sweepInterval: 0, now: () => t, ...options })
        restarted.subscribeRevocations((revoked) => ids.push(...revoked))
        return ids
      }
      expect(heard({ revocationReplay: 30_000 })).toStrictEqual(['recent'])
      expect(heard({}).toSorted()).toStrictEqual(['long-ago', 'recent'])
      expect(heard({ revocationReplay: 0 })).toStrictEqual([])
    } finally {
      database.close()
    }
  })

  it('opens its own file in WAL mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-wal-'))
    try {
      const store = sqliteStore({ path: join(dir, 'wal.db') })
      expect(store.database.pragma('journal_mode', { simple: true })).toBe('wal')
      await store.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('sweeps rows past their deadlines on writes and on demand', async () => {
    const t0 = 1_700_000_000_000
    const store = open({ path: ':memory:', sweepInterval: 1_000, now: () => t0 })
    const dead = sessionRecord('sweep-user', t0, { idleExpiresAt: t0 + 100 })
    const live = sessionRecord('sweep-user', t0)
    await store.create(dead, t0)
    await store.create(live, t0)
    expect(await store.get(dead.id)).not.toBeNull()

    // A write more than one interval after the last sweep sweeps, once the record has outlived
    // its deadline by the retention.
    const at = t0 + 100 + EXPIRED_SESSION_RETENTION_MS
    const later = sessionRecord('sweep-user', at)
    await store.create(later, at)
    expect(await store.get(dead.id)).toBeNull()
    expect(await store.get(live.id)).toStrictEqual(live)
    expect(store.sweep(t0 + 24 * 3_600_000)).toBe(2)
  })

  it('leaves a database it was given open, in a table of the chosen name', async () => {
    const database = new Database(':memory:')
    const store = sqliteStore({ database, tableName: 'app_sessions' })
    const now = Date.now()
    await store.create(sessionRecord('given-user', now), now)
    await store.close()
    expect(database.open).toBe(true)
    expect(
      database.prepare<[], { n: number }>('SELECT count(*) AS n FROM app_sessions').get()?.n,
    ).toBe(1)
    database.close()
  })

  it('answers 503 store_unavailable when the database cannot be used', async () => {
    const database = new Database(':memory:')
    const store = sqliteStore({ database })
    database.close()
    await expect(store.get('x'.repeat(22))).rejects.toMatchObject({
      status: 503,
      code: 'store_unavailable',
    })
    const now = Date.now()
    await expect(store.create(sessionRecord('closed-user', now), now)).rejects.toMatchObject({
      status: 503,
      code: 'store_unavailable',
    })
  })
})

describe('issue 19: sqliteStore({ path }) and its folder', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'baton-sqlite-path-'))
  })
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('creates the missing folders of its path', async () => {
    const path = join(dir, 'data', 'baton', 'sessions.db')
    const now = Date.now()
    const session = sessionRecord('folder-user', now)

    const store = sqliteStore({ path })
    await store.create(session, now)

    expect(statSync(join(dir, 'data', 'baton')).isDirectory()).toBe(true)
    expect(await store.get(session.id)).toStrictEqual(session)
    await store.close()
  })

  it('says which folder it cannot create, why, and what to do', () => {
    writeFileSync(join(dir, 'data'), 'not a folder')
    const path = join(dir, 'data', 'baton', 'sessions.db')

    expect(() => sqliteStore({ path })).toThrow(
      new TypeError(
        `sqliteStore: cannot create the folder "${join(dir, 'data', 'baton')}" for path ` +
          `"${path}" (ENOTDIR, a file is in the way); create it, or give a path in a folder ` +
          'this process can write to',
      ),
    )
  })

  it.each([
    [
      'a folder',
      (path: string) => mkdirSync(path),
      'SQLITE_CANTOPEN: unable to open database file',
    ],
    [
      'a file that is no database',
      (path: string) => writeFileSync(path, 'x'.repeat(4096)),
      'SQLITE_NOTADB: file is not a database',
    ],
  ])('says when the path is %s', (_, make, reason) => {
    const path = join(dir, 'sessions.db')
    make(path)

    expect(() => sqliteStore({ path })).toThrow(
      new TypeError(
        `sqliteStore: cannot open path "${path}" as an SQLite database (${reason}); give a file ` +
          'this process can read and write',
      ),
    )
  })

  it('refuses an empty path, which would open a temporary database', () => {
    expect(() => sqliteStore({ path: '' })).toThrow(
      new TypeError(
        'sqliteStore: path must be a file path (or ":memory:" for a throwaway database), got ""',
      ),
    )
  })
})
