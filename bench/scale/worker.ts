/**
 * @module
 * One store's scale measurement, in a process of its own (started by `scale.ts` with
 * `--expose-gc`, so the heap can be measured after a full collection):
 * 1. refresh latency with 10 sessions present (half of the refreshes);
 * 2. memory per idle session at 10k and 100k sessions;
 * 3. refresh latency with 100k sessions present;
 * 4. every session removed, 10 again, and the other half of the 10-session refreshes.
 *
 * Usage: `worker.ts <memory|redis> <redis key prefix> <refreshes> <small> <large>`; prints
 * `RESULT <json>`.
 *
 * Refreshes go through the real BFF (`createBff(...).request()`, in process, so the network's
 * noise stays out); the idle sessions are copies of a real login's record with fresh random ids,
 * keys and hashes, written with the store API (100k logins would spend minutes signing tokens
 * that nobody reads).
 */
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import {
  createBff,
  createSigningKeys,
  memoryStore,
  type SessionStore,
  type StoredSession,
} from '@baton/bff'
import { redisStore, type RedisStore } from '@baton/bff/stores/redis'
import { postgresStore, type PostgresStore } from '@baton/bff/stores/postgres'
import { Redis } from 'ioredis'
import { deleteKeys } from '../lib/redis.js'
import { percentile } from '../lib/stats.js'

const [kind, prefix = 'baton-bench:scale:', refreshArg, smallArg, largeArg] = process.argv.slice(2)
const REFRESHES = Number(refreshArg ?? 3_000)
const SMALL = Number(smallArg ?? 10_000)
const LARGE = Number(largeArg ?? 100_000)
const WARMUP_REFRESHES = 300
const ORIGIN = 'http://localhost'

if (kind !== 'memory' && kind !== 'redis' && kind !== 'postgres') {
  throw new Error(`unknown store "${kind}"`)
}
const collect = globalThis.gc
if (!collect) throw new Error('run with --expose-gc')

const keys = createSigningKeys({ logger: { warn() {} } })
// The worker's own client (the store leaves it open), so the cleanup can SCAN with it.
const redisClient =
  kind === 'redis' ? new Redis(process.env.BATON_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379') : null
const redis: RedisStore | null = redisClient
  ? redisStore({ redis: redisClient, keyPrefix: prefix })
  : null
// PostgreSQL: a schema of this run's own, dropped at the end.
const pgSchema = `baton_bench_${process.pid}`
const postgres: PostgresStore | null =
  kind === 'postgres'
    ? postgresStore({
        pool: process.env.BATON_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
        schema: pgSchema,
        sweepInterval: 0,
        timeout: '60s',
      })
    : null
const memory = redis || postgres ? null : memoryStore({ sweepInterval: 0 })
const store: SessionStore = redis ?? postgres ?? memory!
const pgTable = `"${pgSchema}"."baton_sessions"`
const bff = createBff({
  keys,
  store,
  // A user object and a User-Agent of the size real ones have (a Redis hash keeps its compact
  // encoding only while every value is at most 64 bytes: these are longer).
  authenticate: async ({ username }) => ({
    id: username,
    name: 'Alice Liddell',
    email: `${username}@example.com`,
    role: 'member',
  }),
  logger: { warn() {}, error: process.env.BENCH_DEBUG ? console.error : () => {} },
})

const headers = {
  'x-csrf': '1',
  origin: ORIGIN,
  'user-agent':
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
}

const cookieOf = (response: Response) => {
  const pair = response.headers.get('set-cookie')?.split(';')[0]
  if (!pair) throw new Error(`no refresh cookie (HTTP ${response.status})`)
  return pair
}

async function login(username: string): Promise<{ cookie: string; sessionId: string }> {
  const response = await bff.request('/auth/login', {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: 'bench' }),
  })
  const body = (await response.json()) as { sessionId: string }
  return { cookie: cookieOf(response), sessionId: body.sessionId }
}

/** Sequential refreshes along one rotation chain; returns each one's time in ms. */
async function refreshChain(count: number, label: string): Promise<number[]> {
  let { cookie } = await login(`chain-${label}`)
  const times: number[] = []
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    const response = await bff.request('/auth/refresh', {
      method: 'POST',
      headers: { ...headers, cookie },
    })
    if (response.status !== 200) throw new Error(`refresh answered ${response.status}`)
    cookie = cookieOf(response)
    await response.arrayBuffer()
    times.push(performance.now() - started)
  }
  return times
}

const latency = (times: number[]) => ({
  count: times.length,
  p50: percentile(times, 50),
  p99: percentile(times, 99),
  mean: times.reduce((a, b) => a + b, 0) / times.length,
})

// Same lengths as the real values: 16-byte ids, 32-byte keys and hashes, base64url.
const random = (bytes: number) => randomBytes(bytes).toString('base64url')

let filled = 0
async function fill(template: StoredSession, upTo: number) {
  if (postgres) return fillPostgres(template, upTo)
  const now = Date.now()
  const make = (): StoredSession => {
    const userId = `bench-user-${++filled}`
    return {
      ...template,
      id: random(16),
      userId,
      user: { ...template.user, id: userId },
      tokenKey: random(32),
      tokenHash: random(32),
      createdAt: now,
      lastUsedAt: now,
    }
  }
  // Redis answers in order on one connection; a few hundred in flight keep it busy.
  const inFlight = redis ? 1_000 : 1
  while (filled < upTo) {
    const batch: Promise<void>[] = []
    for (let i = 0; i < inFlight && filled < upTo; i++) batch.push(store.create(make(), now))
    await Promise.all(batch)
  }
}

/**
 * PostgreSQL: copies of the template row made by the server in one INSERT … SELECT per 100,000
 * (the store's own table and columns), with random ids, keys and hashes of the real lengths
 * (16-byte id: 22 base64url characters; 32-byte key and hash: 43), each with its own user.
 * A million rows through `create()` one by one would take most of an hour here.
 */
async function fillPostgres(template: StoredSession, upTo: number) {
  const b64 = (bytes: string) => `rtrim(translate(encode(${bytes}, 'base64'), '+/', '-_'), '=')`
  while (filled < upTo) {
    const from = filled + 1
    const to = Math.min(upTo, filled + 100_000)
    await postgres!.pool.query(
      `INSERT INTO ${pgTable} (id, user_id, user_json, created_at, last_used_at, expires_at,
         idle_expires_at, user_agent, ip, token_key, token_hash, generation, auth_time, amr, acr, jkt)
       SELECT ${b64(`decode(md5(random()::text || g), 'hex')`)}, 'bench-user-' || g,
         json_build_object('id', 'bench-user-' || g), t.created_at, t.last_used_at, t.expires_at,
         t.idle_expires_at, t.user_agent, t.ip,
         ${b64(`sha256(convert_to(random()::text || 'k' || g, 'UTF8'))`)},
         ${b64(`sha256(convert_to(random()::text || 'h' || g, 'UTF8'))`)},
         t.generation, t.auth_time, t.amr, t.acr, t.jkt
       FROM generate_series($1::int, $2::int) AS g, ${pgTable} AS t WHERE t.id = $3`,
      [from, to, template.id],
    )
    filled = to
  }
  await postgres!.pool.query(`VACUUM ANALYZE ${pgTable}`)
}

/** The sessions table with its indexes and TOAST, as PostgreSQL counts it. */
async function postgresBytes(): Promise<number> {
  const { rows } = await postgres!.pool.query<{ bytes: string }>(
    `SELECT pg_total_relation_size('${pgTable}') AS bytes`,
  )
  return Number(rows[0]!.bytes)
}

function heapUsed(): number {
  collect!()
  collect!()
  return process.memoryUsage().heapUsed
}

async function redisUsedMemory(): Promise<number> {
  const info = await redis!.client.info('memory')
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN)
}

const used = () =>
  redis ? redisUsedMemory() : postgres ? postgresBytes() : Promise.resolve(heapUsed())

/** MEMORY USAGE of one session's keys, Redis only. */
async function sampleKeys(session: StoredSession) {
  if (!redis) return null
  const usage = async (key: string) =>
    Number((await redis.client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? Number.NaN)
  return {
    sessionKey: await usage(redis.keys.session(session.id)),
    userIndexKey: await usage(redis.keys.user(session.userId)),
  }
}

/** Forgets every session: the memory store's sweep with a clock past every deadline, or UNLINK. */
async function removeAll() {
  if (redisClient) await deleteKeys(redisClient, prefix)
  else if (postgres) {
    // The template row stays: the copies are made from it.
    await postgres.pool.query(`DELETE FROM ${pgTable} WHERE user_id LIKE 'bench-user-%'`)
    await postgres.pool.query(`VACUUM ${pgTable}`)
  } else memory!.sweep(Number.MAX_SAFE_INTEGER)
  filled = 0
}

try {
  // The store's rate-limit table is created by its migrations: wait for them before any request.
  await postgres?.ready()
  await refreshChain(WARMUP_REFRESHES, 'warmup')
  const template = await store.get((await login('template')).sessionId)
  if (!template) throw new Error('the template session was not stored')
  // 10 sessions present: the template, the two chains and 7 idle copies.
  await fill(template, 7)
  const smallBefore = await refreshChain(REFRESHES / 2, 'small-before')

  const before = await used()
  await fill(template, SMALL)
  const atSmall = await used()
  await fill(template, LARGE)
  const atLarge = await used()
  const large = latency(await refreshChain(REFRESHES, 'large'))
  const sample = await sampleKeys(template)

  // Half of the 10-session refreshes run before the 100k, half after they are removed again, so
  // a machine that got busier or quieter meanwhile does not pass for an effect of the sessions.
  await removeAll()
  await fill(template, 9)
  const small = latency([...smallBefore, ...(await refreshChain(REFRESHES / 2, 'small-after'))])

  const result = {
    store: kind,
    measure: redis
      ? 'Redis INFO used_memory'
      : postgres
        ? 'pg_total_relation_size (table + indexes)'
        : 'V8 heapUsed after gc()',
    perSession: {
      [SMALL]: (atSmall - before) / (SMALL - 7),
      [LARGE]: (atLarge - before) / (LARGE - 7),
    },
    totalBytes: { [SMALL]: atSmall - before, [LARGE]: atLarge - before },
    sampleKeyBytes: sample,
    refresh: { sessions10: small, [`sessions${LARGE}`]: large },
  }
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`)
} finally {
  if (postgres) await postgres.pool.query(`DROP SCHEMA IF EXISTS "${pgSchema}" CASCADE`)
  // Closes the connections the store opened (Redis: its client and its subscriber).
  await store.close()
  redisClient?.disconnect()
}
