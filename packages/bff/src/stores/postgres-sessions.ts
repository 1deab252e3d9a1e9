/**
 * @module
 * The PostgreSQL store's session operations: sign-in, read, rotation, revocation and the Devices
 * list, on the sessions table. Rotation is one compare-and-set `UPDATE … WHERE token_hash =
 * $expected AND revoked_at IS NULL`, so of two instances rotating the same token exactly one wins;
 * a revocation locks the rows it ends and announces them in the same transaction.
 * @internal
 */
import type { PoolClient } from 'pg'
import { storeUnavailable } from '../errors.js'
import { announcements, type PostgresFeed } from './postgres-feed.js'
import type { postgresDatabase } from './postgres-database.js'
import { SESSION_COLUMNS, sessionValues, toSession, type PostgresRow } from './postgres-row.js'
import type { PostgresNames } from './postgres-schema.js'
import { byCreation, type RevocationReason, type StoredSession } from './types.js'
import type { SessionOperations } from './session-operations.js'

/** @internal What the session operations work with. */
export interface PostgresSessionsContext {
  /** The store's pool, its migrations and how it runs SQL (`postgres-database.ts`). */
  database: Pick<ReturnType<typeof postgresDatabase>, 'pool' | 'migrated' | 'run' | 'transaction'>
  names: PostgresNames
  /** Runs the `pg_notify`s of `payloads` on `client`, inside the writer's transaction. */
  announce: (client: PoolClient, payloads: string[]) => Promise<void>
  /** Delivers revocations to this process's listeners. */
  feed: Pick<PostgresFeed, 'revoked'>
}

const UNIQUE_VIOLATION = '23505'
const errorCode = (error: unknown) =>
  typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined

/** @internal The session operations of the PostgreSQL store. */
export function postgresSessions({
  database,
  names,
  announce,
  feed,
}: PostgresSessionsContext): SessionOperations {
  const { pool, migrated, run, transaction } = database

  // Locks the rows it ends (FOR UPDATE), so two revocations of one session return it once; the
  // CTE hands back each row as it was before the update.
  const revokeWhere = async (
    where: string,
    params: unknown[],
    reason: RevocationReason,
    now: number,
  ): Promise<StoredSession[]> =>
    transaction(async (client) => {
      const at = params.length + 1
      const { rows } = await client.query<PostgresRow>(
        `WITH before AS (
           SELECT * FROM ${names.sessions} WHERE ${where} AND revoked_at IS NULL FOR UPDATE
         )
         UPDATE ${names.sessions} AS s
         SET revoked_at = $${at}, revoked_reason = $${at + 1}, sealed_successor = NULL
         FROM before WHERE s.id = before.id
         RETURNING before.*`,
        [...params, now, reason],
      )
      await announce(client, announcements({ revoked: rows.map((row) => row.id) }))
      return rows.map(toSession)
    })

  const placeholders = SESSION_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')

  return {
    async create(session) {
      await migrated().catch((error: unknown) => {
        throw storeUnavailable(error)
      })
      const inserted = await pool
        .query(
          `INSERT INTO ${names.sessions} (${SESSION_COLUMNS.join(', ')}) VALUES (${placeholders})
           ON CONFLICT (id) DO NOTHING`,
          sessionValues(session),
        )
        .then(
          ({ rowCount }) => rowCount === 1,
          (error: unknown) => {
            if (errorCode(error) === UNIQUE_VIOLATION) return false
            throw storeUnavailable(error)
          },
        )
      // Ids are random: a collision is a bug worth failing loudly on, as in the other stores.
      if (!inserted) throw new Error(`session ${session.id} already exists`)
    },

    async get(sessionId) {
      return run(async () => {
        const { rows } = await pool.query<PostgresRow>(
          `SELECT * FROM ${names.sessions} WHERE id = $1`,
          [sessionId],
        )
        return rows[0] ? toSession(rows[0]) : null
      })
    },

    async rotate(sessionId, expectedTokenHash, rotation) {
      return run(async () => {
        const { rowCount } = await pool.query(
          `UPDATE ${names.sessions} SET
             token_hash = $3, previous_token_hash = $4, rotated_at = $5, sealed_successor = $6,
             generation = $7, last_used_at = $8, idle_expires_at = $9, ip = $10, user_agent = $11,
             auth_time = $12, amr = $13, acr = $14
           WHERE id = $1 AND token_hash = $2 AND revoked_at IS NULL`,
          [
            sessionId,
            expectedTokenHash,
            rotation.tokenHash,
            rotation.previousTokenHash,
            rotation.rotatedAt,
            rotation.sealedSuccessor,
            rotation.generation,
            rotation.lastUsedAt,
            rotation.idleExpiresAt,
            rotation.ip,
            rotation.userAgent,
            rotation.authTime,
            rotation.amr,
            rotation.acr,
          ],
        )
        return rowCount === 1
      })
    },

    async revoke(sessionId, reason, now) {
      const [before] = await run(() => revokeWhere('id = $1', [sessionId], reason, now))
      if (!before) return null
      feed.revoked([before.id])
      return before
    },

    async revokeByUser(userId, reason, now) {
      const revoked = await run(() =>
        revokeWhere('user_id = $1 AND deadline > $2', [userId, now], reason, now),
      )
      feed.revoked(revoked.map((session) => session.id))
      return revoked
    },

    async listByUser(userId, now) {
      const rows = await run(async () => {
        const result = await pool.query<PostgresRow>(
          `SELECT * FROM ${names.sessions}
           WHERE user_id = $1 AND revoked_at IS NULL AND deadline > $2`,
          [userId, now],
        )
        return result.rows
      })
      // Sorted here rather than in SQL so ties order exactly as in the other stores.
      return rows.map(toSession).sort(byCreation)
    },
  }
}
