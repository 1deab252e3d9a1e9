/**
 * @module
 * The SQLite store's schema: created when missing, and brought up to date in place when a file
 * written by an older version is opened (columns added with `ALTER TABLE`, never a rebuild, so a
 * running deployment keeps its sessions).
 * @internal
 */
import type Database from 'better-sqlite3'

/**
 * Columns added after the first release, with their SQL type. Rows written before them hold
 * NULL there, which `toSession` reads as the documented fallback (`authTime` = `createdAt`,
 * `amr` = `['pwd']`).
 */
const ADDED_COLUMNS = [
  ['auth_time', 'INTEGER'],
  ['amr_json', 'TEXT'],
  ['acr', 'TEXT'],
  // DPoP binding (issue 14): NULL is an unbound session, as every older row was.
  ['jkt', 'TEXT'],
] as const

/**
 * @internal Creates the sessions table `table` (and its indexes), the `<table>_meta` key/value
 * table that holds the revocation epoch and the `<table>_dpop_proofs` replay cache, adding any column an older file lacks. Runs in one
 * transaction, so two processes opening the same file at once do not both add a column.
 */
export function createSchema(db: Database.Database, table: string): void {
  db.transaction(() => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ${table} (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        user_json TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        idle_expires_at INTEGER NOT NULL,
        user_agent TEXT,
        ip TEXT,
        token_key TEXT NOT NULL,
        token_hash TEXT NOT NULL,
        previous_token_hash TEXT,
        rotated_at INTEGER,
        sealed_successor TEXT,
        generation INTEGER NOT NULL,
        revoked_at INTEGER,
        revoked_reason TEXT
      );
      CREATE INDEX IF NOT EXISTS ${table}_user_id ON ${table} (user_id);
      CREATE INDEX IF NOT EXISTS ${table}_deadline ON ${table} (min(expires_at, idle_expires_at));
      CREATE INDEX IF NOT EXISTS ${table}_revoked_at ON ${table} (revoked_at)
        WHERE revoked_at IS NOT NULL;
      CREATE TABLE IF NOT EXISTS ${table}_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS ${table}_dpop_proofs (
        key TEXT PRIMARY KEY,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS ${table}_dpop_proofs_expiry ON ${table}_dpop_proofs (expires_at);
    `)
    const present = new Set(
      db
        .prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`)
        .all()
        .map((column) => column.name),
    )
    for (const [name, type] of ADDED_COLUMNS) {
      if (!present.has(name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`)
    }
  }).immediate()
}
