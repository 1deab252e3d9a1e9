/**
 * Issue 15, item 4: the sealed successor holds only the successor's secret and tag (its session id
 * is the record's own), 64 base64url characters, so a refreshed session's Redis hash stays in the
 * compact listpack encoding. A record sealed the old way (the whole 64-byte token, 86 characters),
 * written before a deploy, still opens after it: the grace window works across the deploy.
 */
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { createBff } from '../src/index.js'
import { redisStore } from '../src/stores/redis.js'
import { primitives } from '#crypto'
import * as base64url from '../src/tokens/base64url.js'
import {
  hashRefreshToken,
  mintRefreshToken,
  newSessionId,
  newTokenKey,
  openSuccessor,
  parseRefreshToken,
  sealSuccessor,
  type ParsedRefreshToken,
} from '../src/tokens/refresh.js'
import { authenticate, cookieValue, createHarness, CSRF, REFRESH_COOKIE } from './helpers.js'
import { REDIS_URL, deleteKeys, redisAvailable, uniquePrefix } from './redis-helpers.js'

/** The seal as written before the short form: the whole successor under a 64-byte mask. */
async function sealWhole(predecessor: ParsedRefreshToken, successor: string): Promise<string> {
  const secret = predecessor.bytes.subarray(16, 48)
  const label = new TextEncoder().encode('baton/refresh-successor/v2')
  const info = new Uint8Array(label.length + 16)
  info.set(label, 0)
  info.set(predecessor.bytes.subarray(0, 16), label.length)
  const mask = primitives.hmacSha512(secret, info)
  return base64url.encode(base64url.decode(successor).map((byte, i) => byte ^ mask[i]!))
}

async function family() {
  const id = newSessionId()
  const key = newTokenKey()
  const predecessor = parseRefreshToken(mintRefreshToken(id, key))!
  const successor = mintRefreshToken(id, key)
  return { predecessor, successor, hash: hashRefreshToken(successor) }
}

describe('the sealed successor', () => {
  it('is 64 base64url characters and opens to the successor', async () => {
    const { predecessor, successor, hash } = await family()
    const sealed = sealSuccessor(predecessor, successor)
    expect(sealed).toMatch(/^[A-Za-z0-9_-]{64}$/)
    expect(openSuccessor(predecessor, sealed, hash)).toBe(successor)
  })

  it('opens a successor sealed whole, as records written before the short form hold it', async () => {
    const { predecessor, successor, hash } = await family()
    const old = await sealWhole(predecessor, successor)
    expect(old).toHaveLength(86)
    expect(openSuccessor(predecessor, old, hash)).toBe(successor)
  })

  it('opens neither form with another predecessor, nor a seal of another length', async () => {
    const { predecessor, successor, hash } = await family()
    const other = (await family()).predecessor
    expect(openSuccessor(other, sealSuccessor(predecessor, successor), hash)).toBe(null)
    expect(openSuccessor(other, await sealWhole(predecessor, successor), hash)).toBe(null)
    const short = sealSuccessor(predecessor, successor).slice(0, 60)
    expect(openSuccessor(predecessor, short, hash)).toBe(null)
  })

  it('answers a grace duplicate from a record sealed before the deploy with the same successor', async () => {
    const h = await createHarness()
    const { cookie } = await h.login('alice')
    const first = await h.refreshOk(cookie)
    const session = (await h.store.get(first.body.sessionId))!
    // Rewrite the record as the previous release would have: the whole successor sealed.
    const old = await sealWhole(parseRefreshToken(cookie)!, first.cookie)
    expect(
      await h.store.rotate(
        session.id,
        session.tokenHash,
        {
          tokenHash: session.tokenHash,
          previousTokenHash: session.previousTokenHash!,
          rotatedAt: session.rotatedAt!,
          sealedSuccessor: old,
          generation: session.generation,
          lastUsedAt: session.lastUsedAt,
          idleExpiresAt: session.idleExpiresAt,
          ip: session.ip,
          userAgent: session.userAgent,
          authTime: session.authTime,
          amr: session.amr,
          acr: session.acr,
        },
        h.clock.now(),
      ),
    ).toBe(true)

    const duplicate = await h.refreshOk(cookie)

    expect(duplicate.cookie).toBe(first.cookie)
  })
})

describe.skipIf(!redisAvailable)('a refreshed session in Redis', () => {
  const prefix = uniquePrefix()
  const admin = redisAvailable ? new Redis(REDIS_URL) : null
  afterAll(async () => {
    if (!admin) return
    await deleteKeys(admin, prefix)
    admin.disconnect()
  })

  it('stays a listpack hash under 1 KiB', async () => {
    const store = redisStore({ redis: REDIS_URL, keyPrefix: prefix })
    const bff = createBff({ store, authenticate, logger: { warn() {}, error() {} } })
    const login = await bff.request('/auth/login', {
      method: 'POST',
      headers: { ...CSRF, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'correct horse battery staple' }),
    })
    const { sessionId } = (await login.json()) as { sessionId: string }
    const cookie = `${REFRESH_COOKIE}=${cookieValue(login, REFRESH_COOKIE, 'baton_session')}`
    const refresh = await bff.request('/auth/refresh', {
      method: 'POST',
      headers: { ...CSRF, cookie },
    })
    expect(refresh.status).toBe(200)
    const key = store.keys.session(sessionId)

    expect(await admin!.hexists(key, 'sealedSuccessor')).toBe(1)
    expect(await admin!.object('ENCODING', key)).toBe('listpack')
    expect(Number(await admin!.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'))).toBeLessThan(1024)
    await store.close()
  })
})
