/**
 * @module
 * The SQLite store's row: its columns, and the session a row holds, checked on the way out.
 * @internal
 */
import { sessionFromRow, type SqlSessionColumns } from './sql-row.js'
import type { StoredSession } from './types.js'

/** @internal One row of the sessions table. */
export interface Row extends SqlSessionColumns {
  user_json: string
  /** NULL in rows written before step-up existed. */
  auth_time: number | null
  amr_json: string | null
}

/** @internal The session `row` holds; a row that cannot be one throws. */
export function toSession(row: Row): StoredSession {
  return sessionFromRow('sqlite store', row, {
    user: JSON.parse(row.user_json),
    // A row from before step-up: its only proof of credentials was the password login.
    amr: row.amr_json === null ? ['pwd'] : JSON.parse(row.amr_json),
    // …and it was proven when the session was created.
    authTime: row.auth_time ?? row.created_at,
  })
}
