/**
 * @module
 * What the Redis tests share: whether a Redis server is reachable (the suites skip with a printed
 * reason when it is not, unless `BATON_REQUIRE_REDIS=1`, as in CI, makes that a failure), a unique
 * key prefix per store, the cleanup of those keys, and a `redis-server` the test itself starts and
 * stops on a spare port.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'

/** The shared Redis the suites use; override with `BATON_TEST_REDIS_URL`. */
export const REDIS_URL = process.env.BATON_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** True when CI requires the Redis suites to run rather than skip. */
export const REDIS_REQUIRED = process.env.BATON_REQUIRE_REDIS === '1'

async function probe(): Promise<string | null> {
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
    return (socketError ?? (error instanceof Error ? error : new Error(String(error)))).message
  } finally {
    client.disconnect()
  }
}

const unreachable = await probe()
if (unreachable !== null) {
  const reason = `Redis at ${REDIS_URL} is not reachable (${unreachable})`
  if (REDIS_REQUIRED) throw new Error(`${reason}, and BATON_REQUIRE_REDIS=1 requires it`)
  console.warn(`[baton] skipping the Redis suites: ${reason}. Set BATON_REQUIRE_REDIS=1 to fail.`)
}

/** Whether the shared Redis answered `PING`. */
export const redisAvailable = unreachable === null

/** A key prefix no other test run or store uses. */
export const uniquePrefix = () =>
  `baton-test:${process.pid}:${randomBytes(6).toString('base64url')}:`

/** Deletes every key under `prefix` (tests only: the store itself never scans the keyspace). */
export async function deleteKeys(client: Redis, prefix: string): Promise<number> {
  let deleted = 0
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
    cursor = next
    if (keys.length > 0) deleted += await client.unlink(...keys)
  } while (cursor !== '0')
  return deleted
}

/** The `redis-server` binary, or `null` with the reason printed (or thrown when required). */
export function redisServerBinary(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' })
  const path = found.stdout.trim()
  if (found.status === 0 && path !== '') return path
  const reason = 'redis-server is not on PATH'
  if (REDIS_REQUIRED) throw new Error(`${reason}, and BATON_REQUIRE_REDIS=1 requires it`)
  console.warn(`[baton] skipping the Redis failure test: ${reason}.`)
  return null
}

/** Binds `port` on loopback (0: any free one) and lets go of it at once: the port it bound. */
function bindOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(port, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port)
        else reject(new Error('no port'))
      })
    })
  })
}

/** A port nothing listens on right now. */
export const freePort = (): Promise<number> => bindOnce(0)

/** Whether nothing listens on `port` of the loopback address right now. */
export const canListen = (port: number): Promise<boolean> =>
  bindOnce(port).then(
    () => true,
    () => false,
  )

/**
 * Runs `command` on a one-off connection to the Redis on `port` (a loopback test server); the
 * connection never retries, so a server that is not up yet fails at once.
 */
export async function onRedis<T>(port: number, command: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
  })
  client.on('error', () => {})
  try {
    await client.connect()
    return await command(client)
  } finally {
    client.disconnect()
  }
}

/**
 * Resolves once the Redis on `port` answers `PING` (and, with `check`, once that holds too);
 * fails after `timeoutMs`, or at once when `process` has exited.
 */
export async function untilAnswers(
  port: number,
  process?: ChildProcess,
  check: (client: Redis) => Promise<boolean> = async () => true,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (process?.exitCode != null) throw new Error(`redis-server exited with ${process.exitCode}`)
    const ready = await onRedis(
      port,
      async (client) => (await client.ping()) === 'PONG' && (await check(client)),
    ).catch((error: unknown) => {
      if (Date.now() > deadline) throw error
      return false
    })
    if (ready) return
    if (Date.now() > deadline)
      throw new Error(`Redis on port ${port} was not ready within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** A throwaway `redis-server` without persistence, owned by the test. */
export interface RedisServer {
  readonly port: number
  readonly url: string
  /** Kills the server (SIGKILL: an outage, not a clean shutdown) and waits for it to exit. */
  stop(): Promise<void>
  /** Starts it again on the same port and waits until it answers. */
  start(): Promise<void>
}

/** Starts `redis-server` on a free loopback port; call `stop()` in `afterAll`. */
export async function startRedisServer(binary: string): Promise<RedisServer> {
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  let child: ChildProcess | null = null

  const start = async () => {
    const proc = spawn(
      binary,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    )
    child = proc
    await untilAnswers(port, proc)
  }

  const stop = async () => {
    const proc = child
    child = null
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve())
      proc.kill('SIGKILL')
    })
  }

  await start()
  return { port, url, start, stop }
}
