/**
 * @module
 * What the PostgreSQL tests share: whether the server is reachable (the suites skip with a printed
 * reason when it is not, unless `BATON_REQUIRE_POSTGRES=1`, as in CI, makes that a failure), and a
 * schema of their own per store, dropped afterwards.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The shared PostgreSQL the suites use; override with `BATON_TEST_POSTGRES_URL`. */
export const POSTGRES_URL =
  process.env.BATON_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** True when CI requires the PostgreSQL suites to run rather than skip. */
export const POSTGRES_REQUIRED = process.env.BATON_REQUIRE_POSTGRES === '1'

async function probe(): Promise<string | null> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 1_000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('SELECT 1')
    return null
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  } finally {
    await client.end().catch(() => {})
  }
}

const unreachable = await probe()
if (unreachable !== null) {
  const reason = `PostgreSQL at ${POSTGRES_URL} is not reachable (${unreachable})`
  if (POSTGRES_REQUIRED) throw new Error(`${reason}, and BATON_REQUIRE_POSTGRES=1 requires it`)
  console.warn(
    `[baton] skipping the PostgreSQL suites: ${reason}. Set BATON_REQUIRE_POSTGRES=1 to fail.`,
  )
}

/** Whether PostgreSQL answered. */
export const postgresAvailable = unreachable === null

/** A schema name no other test run uses. */
export const uniqueSchema = () => `baton_test_${process.pid}_${randomBytes(5).toString('hex')}`

/** Drops `schema` and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  } finally {
    await client.end()
  }
}
