/**
 * @module
 * A throwaway Redis Cluster for the tests: three masters from Debian's `redis-server` in cluster
 * mode on free loopback ports, joined with `redis-cli --cluster create`, nothing persisted, every
 * file in a temporary folder removed at `stop()`. Takes about a second to start.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Cluster } from 'ioredis'
import { canListen, freePort, REDIS_REQUIRED, untilAnswers } from './redis-helpers.js'

/** A cluster owned by one test file. */
export interface RedisClusterUnderTest {
  /** The masters' `{ host, port }`, what `new Cluster(nodes)` takes. */
  readonly nodes: readonly { host: string; port: number }[]
  /** A new ioredis `Cluster` client on it; the caller quits it. */
  client(): Cluster
  /** Kills every node and removes its files. */
  stop(): Promise<void>
}

/** `redis-server` and `redis-cli`, or `null` with the reason printed (or thrown when required). */
export function redisClusterBinaries(): { server: string; cli: string } | null {
  const find = (name: string) =>
    spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim()
  const server = find('redis-server')
  const cli = find('redis-cli')
  if (server !== '' && cli !== '') return { server, cli }
  const reason = 'redis-server and redis-cli are needed on PATH for a local Redis Cluster'
  if (REDIS_REQUIRED) throw new Error(`${reason}, and BATON_REQUIRE_REDIS=1 requires it`)
  console.warn(`[baton] skipping the Redis Cluster suites: ${reason}.`)
  return null
}

/**
 * `count` distinct ports for cluster nodes. A node also listens on its cluster bus port, which
 * Redis puts at port + 10000: a node above 55535 refuses to start, and one whose bus port is taken
 * fails, while this machine's ephemeral range reaches 60999. (Redis 7's `cluster-port` would
 * choose the bus port, but Redis 6 knows no such option.)
 */
async function clusterPorts(count: number): Promise<number[]> {
  const ports = new Set<number>()
  while (ports.size < count) {
    const port = await freePort()
    const busTaken = ports.has(port - 10000) || ports.has(port + 10000)
    if (port <= 55535 && !busTaken && (await canListen(port + 10000))) {
      ports.add(port)
    }
  }
  return [...ports]
}

/**
 * Starts a cluster of `masters` nodes (no replicas); call `stop()` in `afterAll`. A node that
 * exits at start (a port taken between its choice and the node's bind) makes it start again on
 * other ports, up to three times.
 */
export async function startRedisCluster(
  binaries: { server: string; cli: string },
  masters = 3,
): Promise<RedisClusterUnderTest> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRedisClusterOnce(binaries, masters)
    } catch (error) {
      if (!(error instanceof NodeExitedError) || attempt === 3) throw error
    }
  }
}

class NodeExitedError extends Error {}

async function startRedisClusterOnce(
  binaries: { server: string; cli: string },
  masters: number,
): Promise<RedisClusterUnderTest> {
  const dir = await mkdtemp(join(tmpdir(), 'baton-redis-cluster-'))
  const ports: number[] = []
  const children: ChildProcess[] = []
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve()
            child.once('exit', () => resolve())
            child.kill('SIGKILL')
          }),
      ),
    )
    await rm(dir, { recursive: true, force: true })
  }
  try {
    for (const port of await clusterPorts(masters)) {
      ports.push(port)
      children.push(
        spawn(
          binaries.server,
          [
            '--port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout',
            '2000',
            '--dir',
            dir,
            '--save',
            '',
            '--appendonly',
            'no',
          ],
          { stdio: 'ignore' },
        ),
      )
    }
    for (const [i, port] of ports.entries()) {
      const child = children[i]!
      await untilAnswers(port, child).catch((error: unknown) => {
        if (child.exitCode !== null) {
          throw new NodeExitedError(`redis-server on port ${port} exited with ${child.exitCode}`)
        }
        throw error
      })
    }
    const created = spawnSync(
      binaries.cli,
      [
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    )
    if (created.status !== 0) {
      throw new Error(`redis-cli --cluster create failed: ${created.stderr || created.stdout}`)
    }
    for (const port of ports) {
      await untilAnswers(port, undefined, async (client) =>
        String(await client.cluster('INFO')).includes('cluster_state:ok'),
      )
    }
  } catch (error) {
    await stop()
    throw error
  }
  const nodes = ports.map((port) => ({ host: '127.0.0.1', port }))
  return {
    nodes,
    client: () => new Cluster([...nodes], { redisOptions: { maxRetriesPerRequest: 1 } }),
    stop,
  }
}
