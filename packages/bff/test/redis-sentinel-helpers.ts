/**
 * @module
 * A throwaway Sentinel deployment for the failover test: a primary, one replica and three
 * sentinels (quorum 2), all from Debian's `redis-server` on free loopback ports, nothing
 * persisted, every file in a temporary folder removed at `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { freePort, untilAnswers } from './redis-helpers.js'

/** The name the sentinels monitor the primary under. */
export const SENTINEL_MASTER_NAME = 'baton'

/** A Sentinel deployment owned by one test. */
export interface SentinelDeployment {
  readonly primaryPort: number
  readonly replicaPort: number
  /** What ioredis' `sentinels` option takes. */
  readonly sentinels: readonly { host: string; port: number }[]
  /** A plain client on the replica (for `DEBUG SLEEP`, to make it lag). */
  replica(): Redis
  /** A plain client on the primary. */
  primary(): Redis
  /** Kills the primary (SIGKILL: a crash, nothing flushed to anyone). */
  killPrimary(): Promise<void>
  /** Resolves once the sentinels name the replica as the primary; returns how long that took. */
  failedOver(timeoutMs?: number): Promise<number>
  stop(): Promise<void>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const kill = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGKILL')
  })

/** Starts the deployment from `redisServer`; call `stop()` in `afterAll`/`finally`. */
export async function startSentinelDeployment(redisServer: string): Promise<SentinelDeployment> {
  const dir = await mkdtemp(join(tmpdir(), 'baton-sentinel-'))
  const children: ChildProcess[] = []
  const stop = async () => {
    await Promise.all(children.map(kill))
    await rm(dir, { recursive: true, force: true })
  }
  const common = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]
  try {
    const primaryPort = await freePort()
    const replicaPort = await freePort()
    const primary = spawn(redisServer, ['--port', String(primaryPort), ...common], {
      stdio: 'ignore',
    })
    children.push(primary)
    await untilAnswers(primaryPort)
    const replica = spawn(
      redisServer,
      [
        '--port',
        String(replicaPort),
        '--replicaof',
        '127.0.0.1',
        String(primaryPort),
        // DEBUG SLEEP makes the replica lag on purpose; Redis 7 disables DEBUG unless asked.
        '--enable-debug-command',
        'yes',
        ...common,
      ],
      { stdio: 'ignore' },
    )
    children.push(replica)
    await untilAnswers(replicaPort)
    const sentinels: { host: string; port: number }[] = []
    for (let i = 0; i < 3; i++) {
      const port = await freePort()
      const config = join(dir, `sentinel-${port}.conf`)
      // Sentinel rewrites its config file as it learns the topology: it must be writable.
      await writeFile(
        config,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 4000`,
          `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
          '',
        ].join('\n'),
      )
      children.push(spawn(redisServer, [config, '--sentinel'], { stdio: 'ignore' }))
      await untilAnswers(port)
      sentinels.push({ host: '127.0.0.1', port })
    }
    // The replica is in sync before the test writes anything.
    const replicaClient = new Redis({ port: replicaPort, host: '127.0.0.1' })
    try {
      const deadline = Date.now() + 10_000
      while (!(await replicaClient.info('replication')).includes('master_link_status:up')) {
        if (Date.now() > deadline) throw new Error('the replica never synced')
        await sleep(50)
      }
    } finally {
      replicaClient.disconnect()
    }

    const askSentinel = async () => {
      const client = new Redis({ ...sentinels[0]!, lazyConnect: true, retryStrategy: () => null })
      client.on('error', () => {})
      try {
        await client.connect()
        return (await client.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_MASTER_NAME)) as
          [string, string] | null
      } finally {
        client.disconnect()
      }
    }

    return {
      primaryPort,
      replicaPort,
      sentinels,
      replica: () => new Redis({ port: replicaPort, host: '127.0.0.1' }),
      primary: () => new Redis({ port: primaryPort, host: '127.0.0.1' }),
      killPrimary: () => kill(primary),
      async failedOver(timeoutMs = 30_000) {
        const start = performance.now()
        for (;;) {
          const address = await askSentinel().catch(() => null)
          if (address && Number(address[1]) === replicaPort) return performance.now() - start
          if (performance.now() - start > timeoutMs) throw new Error('no failover')
          await sleep(50)
        }
      },
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
