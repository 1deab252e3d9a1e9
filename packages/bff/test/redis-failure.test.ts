/**
 * Redis goes down and comes back: the BFF answers 503 `store_unavailable` meanwhile (never a 401,
 * so the client keeps the user signed in) and recovers on its own. The test runs its own
 * `redis-server` on a spare port, kills it and starts it again on the same port.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createBff, createSigningKeys, generateSigningKey, type BffOptions } from '../src/index.js'
import { redisStore, type RedisStore } from '../src/stores/redis.js'
import { redisServerBinary, startRedisServer, type RedisServer } from './redis-helpers.js'
import { sessionRecord } from './store-contract.js'

const binary = redisServerBinary()

describe.skipIf(binary === null)('Redis outage', () => {
  let server: RedisServer
  let store: RedisStore
  let watcher: RedisStore

  beforeAll(async () => {
    server = await startRedisServer(binary!)
    store = redisStore({ redis: server.url, keyPrefix: 'baton-outage:' })
    watcher = redisStore({ redis: server.url, keyPrefix: 'baton-outage:' })
  }, 20_000)

  afterAll(async () => {
    await store?.close()
    await watcher?.close()
    await server?.stop()
  })

  it('answers 503 store_unavailable while Redis is down and recovers when it returns', async () => {
    const errors: unknown[] = []
    const options: BffOptions = {
      keys: createSigningKeys({ keys: [await generateSigningKey()] }),
      store,
      logger: { warn: () => {}, error: (...args: unknown[]) => errors.push(args) },
      authenticate: async ({ username }) => ({ id: username }),
    }
    const bff = createBff(options)
    const post = (path: string, cookie?: string, body?: unknown) =>
      bff.request(`/auth${path}`, {
        method: 'POST',
        headers: {
          'x-csrf': '1',
          'sec-fetch-site': 'same-origin',
          'content-type': 'application/json',
          ...(cookie === undefined ? {} : { cookie }),
        },
        body: body === undefined ? null : JSON.stringify(body),
      })
    const cookieOf = (res: Response) => res.headers.get('set-cookie')!.split(';')[0]!
    const login = () => post('/login', undefined, { username: 'outage-user', password: 'x' })

    const signedIn = await login()
    expect(signedIn.status).toBe(200)
    const refreshed = await post('/refresh', cookieOf(signedIn))
    expect(refreshed.status).toBe(200)
    const cookie = cookieOf(refreshed)
    const heard = new Set<string>()
    watcher.subscribeRevocations((ids) => ids.forEach((id) => heard.add(id)))

    await server.stop()

    for (const attempt of [1, 2, 3]) {
      const start = performance.now()
      const res = await post('/refresh', cookie)
      const ms = performance.now() - start
      expect(res.status).toBe(503)
      expect(await res.json()).toStrictEqual({
        error: { code: 'store_unavailable', message: expect.any(String) as string },
      })
      expect(res.headers.get('retry-after')).toBe('1')
      // A 503 must not clear the refresh cookie: the session may well be intact.
      expect(res.headers.get('set-cookie')).toBeNull()
      console.log(
        `[baton] refresh while Redis is down (attempt ${attempt}): 503 in ${ms.toFixed(1)} ms`,
      )
    }
    expect((await login()).status).toBe(503)
    // A logout cannot reach Redis either, yet the browser must drop its cookie (issue 12, M1):
    // else a reload after the outage would find the session back.
    const logout = await post('/logout', cookie)
    expect(logout.status).toBe(503)
    expect(logout.headers.getSetCookie()).toStrictEqual([
      '__Host-baton_rt=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict',
      'baton_session=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; SameSite=Strict',
    ])
    expect(errors.length).toBeGreaterThan(0)
    // Stay down long enough for the reconnection back-off to reach its one-second ceiling.
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    expect((await post('/refresh', cookie)).status).toBe(503)

    const restarted = performance.now()
    await server.start()
    // Nothing restarts the store: its client reconnects by itself.
    await vi.waitFor(async () => expect((await login()).status).toBe(200), {
      timeout: 10_000,
      interval: 25,
    })
    console.log(
      `[baton] BFF served again ${(performance.now() - restarted).toFixed(0)} ms after ` +
        `redis-server was restarted (server start-up included)`,
    )
    const fresh = await login()
    expect(fresh.status).toBe(200)
    const again = await post('/refresh', cookieOf(fresh))
    expect(again.status).toBe(200)
    // This test server keeps nothing on disk (--save "" --appendonly no), so the session from
    // before the outage is gone: an ordinary sign-out, not an error. An id the store does not know
    // answers no_session, whether it never existed or was lost.
    const lost = await post('/refresh', cookie)
    expect(lost.status).toBe(401)
    expect(((await lost.json()) as { error: { code: string } }).error.code).toBe('no_session')

    // The watcher's pub/sub connection came back as well and hears new revocations.
    const now = Date.now()
    const session = sessionRecord('outage-user', now)
    await store.create(session, now)
    await store.revoke(session.id, 'revoked', now)
    await vi.waitFor(() => expect(heard).toContain(session.id), { timeout: 5_000 })
  }, 30_000)
})
