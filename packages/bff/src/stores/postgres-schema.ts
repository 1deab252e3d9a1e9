/**
 * @module
 * The PostgreSQL store's schema as numbered migrations, applied in order at start-up and recorded
 * in `<table>_migrations`. Every instance runs them under one transaction-scoped advisory lock, so
 * ten instances starting together apply each migration once; a migration is never edited after
 * release, only followed by a new one.
 * @internal
 */
import { createHash } from 'node:crypto'
import type { PoolClient } from 'pg'

/** @internal The quoted names the store's SQL uses. */
export interface PostgresNames {
  /** `"schema"."table"`: the sessions. */
  sessions: string
  /** `"schema"."table_meta"`: key/value pairs (the revocation epoch). */
  meta: string
  /** `"schema"."table_migrations"`: the migrations applied. */
  migrations: string
  /** `"schema"."table_proofs"`: the DPoP replay cache (migration 2). */
  proofs: string
  /** `"schema"."table_oidc"`: the OpenID Connect state store (migration 4). */
  oidc: string
  /** The rate-limit counters' table name, unquoted (the limiter quotes it with the schema). */
  rateLimits: string
  schema: string
  /**
   * The `LISTEN`/`NOTIFY` channel of this table's revocations, `baton_` and a digest of the exact
   * schema and table: channels are per database, so any folding of the names (case, joining them
   * with `_`, cutting at 63 bytes) would let two applications hear each other's revocations.
   */
  channel: string
  /**
   * The channel of the builds before `channel` was a digest (`<schema>_<table>` lower-cased, cut
   * at 63 bytes). Announcements go there too, so that during a rolling upgrade the instances
   * still on an older build hear the new ones' revocations; nothing listens on it. To be dropped
   * in the next minor release.
   */
  legacyChannel: string
  /** `pg_advisory_xact_lock` key of this table's migrations. */
  lockKey: string
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/** @internal Checks the names and derives every quoted identifier from them. */
export function postgresNames(schema: string, table: string): PostgresNames {
  for (const [option, value] of [
    ['schema', schema],
    ['tableName', table],
  ] as const) {
    // 63 bytes is PostgreSQL's identifier limit; the longest derived name adds 11.
    if (!IDENTIFIER.test(value) || value.length > 52) {
      throw new TypeError(
        `postgresStore: ${option} "${value}" is not a plain SQL identifier of at most 52 characters`,
      )
    }
  }
  const quoted = (name: string) => `"${schema}"."${name}"`
  return {
    sessions: quoted(table),
    meta: quoted(`${table}_meta`),
    migrations: quoted(`${table}_migrations`),
    proofs: quoted(`${table}_proofs`),
    oidc: quoted(`${table}_oidc`),
    rateLimits: `${table}_rate_limits`,
    schema,
    channel: `baton_${createHash('sha256').update(quoted(table)).digest('hex').slice(0, 32)}`,
    legacyChannel: `${schema}_${table}`.toLowerCase().slice(0, 63),
    lockKey: `baton:${schema}.${table}`,
  }
}

/** One step of the schema. */
interface Migration {
  version: number
  name: string
  sql: (names: PostgresNames, table: string) => string
}

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'sessions, meta and rate-limit tables',
    // Times are epoch ms as DOUBLE PRECISION: exactly the JavaScript number the other stores keep
    // (fractions included). `deadline` is generated so the sweep and the live-session queries use
    // one index instead of computing least() per row.
    sql: (n, table) => `
      CREATE TABLE ${n.sessions} (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        user_json JSON NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        last_used_at DOUBLE PRECISION NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        idle_expires_at DOUBLE PRECISION NOT NULL,
        deadline DOUBLE PRECISION GENERATED ALWAYS AS (LEAST(expires_at, idle_expires_at)) STORED,
        user_agent TEXT,
        ip TEXT,
        token_key TEXT NOT NULL,
        token_hash TEXT NOT NULL,
        previous_token_hash TEXT,
        rotated_at DOUBLE PRECISION,
        sealed_successor TEXT,
        generation INTEGER NOT NULL,
        revoked_at DOUBLE PRECISION,
        revoked_reason TEXT,
        auth_time DOUBLE PRECISION NOT NULL,
        amr TEXT[] NOT NULL,
        acr TEXT
      );
      CREATE INDEX "${table}_user_live" ON ${n.sessions} (user_id) WHERE revoked_at IS NULL;
      CREATE INDEX "${table}_deadline" ON ${n.sessions} (deadline);
      CREATE INDEX "${table}_revoked_at" ON ${n.sessions} (revoked_at) WHERE revoked_at IS NOT NULL;
      CREATE TABLE ${n.meta} (key TEXT PRIMARY KEY, value DOUBLE PRECISION NOT NULL);
      CREATE TABLE "${n.schema}"."${n.rateLimits}" (
        key VARCHAR(255) PRIMARY KEY,
        points INTEGER NOT NULL DEFAULT 0,
        expire BIGINT
      );`,
  },
  {
    version: 2,
    name: 'DPoP binding: sessions.jkt and the proof replay cache',
    // NULL is an unbound session, which every row written before this migration is.
    sql: (n, table) => `
      ALTER TABLE ${n.sessions} ADD COLUMN jkt TEXT;
      CREATE TABLE ${n.proofs} (
        key TEXT PRIMARY KEY,
        expires_at DOUBLE PRECISION NOT NULL
      );
      CREATE INDEX "${table}_proofs_exp" ON ${n.proofs} (expires_at);`,
  },
  {
    version: 3,
    name: 'second factors: factors, recovery codes, pending tickets and challenges',
    // A factor is one JSONB record (`mfa/types.ts` StoredFactor): its compare-and-set fields are
    // read and written inside the record by single UPDATE statements (`mfa/store-postgres.ts`).
    sql: (n, table) => `
      CREATE TABLE "${n.schema}"."${table}_factors" (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        record JSONB NOT NULL
      );
      CREATE INDEX "${table}_factors_u" ON "${n.schema}"."${table}_factors" (user_id);
      CREATE TABLE "${n.schema}"."${table}_codes" (
        user_id TEXT NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (user_id, hash)
      );
      CREATE TABLE "${n.schema}"."${table}_pending" (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL,
        tries INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX "${table}_pending_e" ON "${n.schema}"."${table}_pending" (expires_at);`,
  },
  {
    version: 4,
    name: 'OpenID Connect state: transactions, logout jtis, upstream tokens, leases',
    // `value` holds a string, `members` a set (one or the other); rows die at `expires_at`.
    sql: (n, table) => `
      CREATE TABLE ${n.oidc} (
        key TEXT PRIMARY KEY,
        value TEXT,
        members TEXT[],
        expires_at DOUBLE PRECISION NOT NULL
      );
      CREATE INDEX "${table}_oidc_exp" ON ${n.oidc} (expires_at);`,
  },
]

/** @internal The newest schema version this code knows. */
export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version

/**
 * @internal Brings the schema to {@link SCHEMA_VERSION} in one transaction; returns the versions
 * it applied. A database already at a newer version (a newer Baton ran) is refused rather than
 * used with a layout this code does not know.
 */
export async function migrate(
  client: PoolClient,
  names: PostgresNames,
  table: string,
): Promise<number[]> {
  await client.query('BEGIN')
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [names.lockKey])
    // `IF NOT EXISTS` does not stop two transactions creating the schema at once (the loser fails
    // on the catalogue's unique index): stores of two tables starting together in a new schema
    // take their turns. Always after the table's lock, so two such stores cannot deadlock.
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `baton-schema:${names.schema}`,
    ])
    // Created only when missing: `CREATE SCHEMA IF NOT EXISTS` needs CREATE on the database even
    // for a schema that exists, which a least-privilege role owning its schema (or `public`) lacks.
    const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [
      names.schema,
    ])
    if (rowCount === 0) await client.query(`CREATE SCHEMA "${names.schema}"`)
    await client.query(`CREATE TABLE IF NOT EXISTS ${names.migrations} (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`)
    const { rows } = await client.query<{ version: number | null }>(
      `SELECT max(version) AS version FROM ${names.migrations}`,
    )
    const current = rows[0]?.version ?? 0
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `postgresStore: ${names.sessions} is at schema version ${current}, newer than this @baton/bff knows (${SCHEMA_VERSION})`,
      )
    }
    const applied: number[] = []
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue
      await client.query(migration.sql(names, table))
      await client.query(`INSERT INTO ${names.migrations} (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ])
      applied.push(migration.version)
    }
    await client.query('COMMIT')
    return applied
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  }
}
