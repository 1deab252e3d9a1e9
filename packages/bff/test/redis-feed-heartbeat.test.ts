/**
 * The Redis store's revocation feed over a subscriber connection that goes silent (no FIN, no
 * RST), as when a NAT or load balancer forgets an idle flow: the heartbeat notices, and the
 * reconnection replays what was published meanwhile.
 */
import { connect, createServer, type Server, type Socket } from 'node:net'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { redisStore, type RedisStore } from '../src/stores/redis.js'
import { deleteKeys, freePort, REDIS_URL, redisAvailable, uniquePrefix } from './redis-helpers.js'
import { sessionRecord } from './store-contract.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
async function until(check: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) return false
    await sleep(20)
  }
  return true
}

/** A TCP proxy to the shared Redis whose open connections can be made to go silent. */
function proxyToRedis(port: number) {
  const target = new URL(REDIS_URL)
  const sockets = new Set<Socket>()
  const pairs: Array<[Socket, Socket]> = []
  let server: Server | null = null
  return {
    start: () =>
      new Promise<void>((resolve, reject) => {
        server = createServer((downstream) => {
          const upstream = connect(Number(target.port || 6379), target.hostname)
          sockets.add(downstream).add(upstream)
          pairs.push([downstream, upstream])
          downstream.pipe(upstream).pipe(downstream)
          const close = () => {
            downstream.destroy()
            upstream.destroy()
          }
          downstream.on('error', close).on('close', close)
          upstream.on('error', close).on('close', close)
        })
        server.once('error', reject)
        server.listen(port, '127.0.0.1', () => resolve())
      }),
    blackholeOpenConnections() {
      for (const [downstream, upstream] of pairs.splice(0)) {
        downstream.unpipe(upstream)
        upstream.unpipe(downstream)
        downstream.removeAllListeners('data')
        upstream.removeAllListeners('data')
        downstream.on('data', () => {})
        upstream.on('data', () => {})
      }
    },
    stop: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
    },
  }
}

describe.skipIf(!redisAvailable)('redis revocation feed heartbeat', () => {
  const proxies: Array<() => Promise<void>> = []
  const stores: RedisStore[] = []
  const prefixes: string[] = []
  afterEach(async () => {
    for (const stop of proxies.splice(0)) await stop()
    for (const store of stores.splice(0)) await store.close().catch(() => {})
    const client = new Redis(REDIS_URL)
    for (const prefix of prefixes.splice(0)) await deleteKeys(client, prefix)
    client.disconnect()
  })

  it('notices a subscriber connection that went silent (no FIN/RST) and catches up on what it missed', async () => {
    const port = await freePort()
    const proxy = proxyToRedis(port)
    await proxy.start()
    proxies.push(proxy.stop)
    const prefix = uniquePrefix()
    prefixes.push(prefix)
    const writer = redisStore({ redis: REDIS_URL, keyPrefix: prefix })
    const reader = redisStore({
      redis: `redis://127.0.0.1:${port}`,
      keyPrefix: prefix,
      heartbeat: 200,
      timeout: 500,
    })
    stores.push(writer, reader)
    const heard = new Set<string>()
    reader.subscribeRevocations((ids) => ids.forEach((id) => heard.add(id)))

    const now = Date.now()
    const before = sessionRecord('u', now)
    const after = sessionRecord('u', now)
    await writer.create(before, now)
    await writer.create(after, now)
    // Set-up: the reader's subscriber is up and hears a revocation.
    expect(
      await until(() => {
        void writer.revoke(before.id, 'logout', Date.now()).catch(() => {})
        return heard.has(before.id)
      }, 5_000),
      'set-up: heard before the silence',
    ).toBe(true)

    proxy.blackholeOpenConnections()
    await writer.revoke(after.id, 'logout', Date.now())
    // A ping every 200 ms, unanswered within 500 ms, finds the silence; the replay on reconnecting
    // (revocationReplay, 15 min) then delivers the id.
    expect(await until(() => heard.has(after.id), 4_000), 'heard after the silence').toBe(true)
  }, 8_000)
})
