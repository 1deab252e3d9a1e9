/**
 * @module
 * The shared Redis: whether it answers, a key prefix owned by this run, and the cleanup of those
 * keys. A bench without Redis skips its Redis rows with the reason instead of failing.
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'

/** The Redis the benchmarks use; override with `BATON_BENCH_REDIS_URL`. */
export const REDIS_URL = process.env.BATON_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Why Redis cannot be used, or `null` when it answered `PING`. */
export async function redisUnavailable(): Promise<string | null> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  // The socket's own error (ECONNREFUSED…) says more than the rejection ("Connection is closed").
  let socketError: Error | undefined
  client.on('error', (error: Error) => {
    socketError ??= error
  })
  try {
    await client.connect()
    await client.ping()
    return null
  } catch (error) {
    const cause = socketError ?? (error instanceof Error ? error : new Error(String(error)))
    return `Redis at ${REDIS_URL} is not reachable (${cause.message})`
  } finally {
    client.disconnect()
  }
}

/** Prefixes handed out and not yet cleaned up, for {@link cleanUpAll} on Ctrl-C. */
const pending = new Set<string>()

/** A key prefix no other process uses: `baton-bench:<pid>:<random>:<label>:`. */
export function benchPrefix(label: string): string {
  const prefix = `baton-bench:${process.pid}:${randomBytes(4).toString('hex')}:${label}:`
  pending.add(prefix)
  return prefix
}

/** Deletes every key under `prefix` with SCAN + UNLINK; returns how many. */
export async function deleteKeys(client: Redis, prefix: string): Promise<number> {
  let deleted = 0
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000)
    cursor = next
    if (keys.length > 0) deleted += await client.unlink(...keys)
  } while (cursor !== '0')
  return deleted
}

/** Connects, deletes the keys under `prefix`, disconnects; errors are reported, not thrown. */
export async function cleanUpPrefix(prefix: string): Promise<number> {
  pending.delete(prefix)
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2_000 })
  client.on('error', () => {})
  try {
    return await deleteKeys(client, prefix)
  } catch (error) {
    console.warn(`[bench] could not delete the Redis keys under ${prefix}:`, error)
    return 0
  } finally {
    client.disconnect()
  }
}

/** Deletes the keys of every prefix not cleaned up yet (the runner calls it when interrupted). */
export async function cleanUpAll(): Promise<void> {
  await Promise.all([...pending].map((prefix) => cleanUpPrefix(prefix)))
}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Deletes the keys left by earlier bench runs that were killed before they could clean up (their
 * prefix names a process that no longer runs). A live process's keys are never touched.
 */
export async function cleanUpOrphans(): Promise<number> {
  const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2_000 })
  client.on('error', () => {})
  try {
    const dead = new Set<string>()
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', 'baton-bench:*', 'COUNT', 1_000)
      cursor = next
      for (const key of keys) {
        const pid = Number(/^baton-bench:(\d+):/.exec(key)?.[1])
        if (Number.isInteger(pid) && pid !== process.pid && !isRunning(pid)) {
          dead.add(`baton-bench:${pid}:`)
        }
      }
    } while (cursor !== '0')
    let deleted = 0
    for (const prefix of dead) deleted += await deleteKeys(client, prefix)
    return deleted
  } catch {
    return 0
  } finally {
    client.disconnect()
  }
}
