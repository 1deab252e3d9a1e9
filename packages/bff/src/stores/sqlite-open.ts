/**
 * @module
 * Opening the SQLite file of `sqliteStore({ path })`: its folder is created when missing, and
 * anything that stops the file from opening is a `TypeError` that names the path and the fix,
 * thrown when the store is created rather than at the first login.
 * @internal
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'

/** What the usual file-system error codes mean, for someone reading a start-up log. */
const FS_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOTDIR: 'a file is in the way',
  EEXIST: 'a file is in the way',
  ENOSPC: 'no space left on the device',
}

function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined
  if (code === undefined) return error.message
  const meaning = FS_REASONS[code]
  return meaning === undefined ? `${code}: ${error.message}` : `${code}, ${meaning}`
}

/**
 * @internal Opens the database file at `path`, creating its folder first, in WAL mode with
 * `synchronous = NORMAL` and a short busy timeout.
 */
export function openDatabase(path: string): Database.Database {
  // An empty path opens an anonymous temporary database: sessions that vanish on restart, which
  // is never what an unset variable meant.
  if (typeof path !== 'string' || path.trim() === '') {
    throw new TypeError(
      'sqliteStore: path must be a file path (or ":memory:" for a throwaway database), got ' +
        `${JSON.stringify(path)}`,
    )
  }
  if (path !== ':memory:') {
    const folder = dirname(path)
    try {
      mkdirSync(folder, { recursive: true })
    } catch (cause) {
      throw new TypeError(
        `sqliteStore: cannot create the folder "${folder}" for path "${path}" (${reason(cause)}); ` +
          'create it, or give a path in a folder this process can write to',
        { cause },
      )
    }
  }
  let db: Database.Database | undefined
  try {
    db = new Database(path)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    // Another process holding the write lock (a second instance, a backup) is waited for briefly.
    db.pragma('busy_timeout = 2000')
    return db
  } catch (cause) {
    db?.close()
    throw new TypeError(
      `sqliteStore: cannot open path "${path}" as an SQLite database (${reason(cause)}); give a ` +
        'file this process can read and write',
      { cause },
    )
  }
}
