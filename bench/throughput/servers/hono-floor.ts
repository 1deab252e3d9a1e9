/**
 * @module
 * The floor (issue 15): the least a rotating-cookie BFF can do, on the same framework and JWT
 * library as Baton. Hono on @hono/node-server; an opaque refresh token (32 random bytes) in an
 * HttpOnly cookie, kept in a `Map` and swapped for a new one on every refresh; an ES256 access
 * token signed with jose; `GET /api/me` verifies it with jose against the public key. No CSRF
 * check, no reuse detection, no grace window, no idle deadline, no revocation feed, no events:
 * whatever Baton does beyond this is what its ratio to this server pays for.
 */
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono, type Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { SignJWT, generateKeyPair, jwtVerify } from 'jose'
import { announce, onShutdown } from './common.js'

const COOKIE = 'floor_rt'
const { privateKey, publicKey } = await generateKeyPair('ES256')
/** Refresh token → user id. */
const sessions = new Map<string, string>()

const issue = async (c: Context, userId: string) => {
  const refreshToken = randomBytes(32).toString('base64url')
  sessions.set(refreshToken, userId)
  setCookie(c, COOKIE, refreshToken, {
    httpOnly: true,
    secure: true,
    sameSite: 'Strict',
    path: '/auth',
    maxAge: 7 * 24 * 3600,
  })
  const accessToken = await new SignJWT({})
    .setProtectedHeader({ alg: 'ES256' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey)
  return c.json({ accessToken, tokenType: 'Bearer', expiresIn: 300 })
}

const app = new Hono()
app.post('/auth/login', async (c) => {
  const { username } = await c.req.json<{ username?: unknown }>()
  if (typeof username !== 'string' || username === '') return c.json({ error: 'username' }, 400)
  return issue(c, username)
})
app.post('/auth/refresh', async (c) => {
  const token = getCookie(c, COOKIE)
  const userId = token === undefined ? undefined : sessions.get(token)
  if (token === undefined || userId === undefined) return c.json({ error: 'no_session' }, 401)
  sessions.delete(token)
  return issue(c, userId)
})
app.get('/api/me', async (c) => {
  const token = c.req.header('authorization')?.slice('Bearer '.length) ?? ''
  try {
    const { payload } = await jwtVerify(token, publicKey, { algorithms: ['ES256'] })
    return c.json({ id: payload.sub })
  } catch {
    return c.json({ error: 'invalid_token' }, 401)
  }
})

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () =>
  announce((server.address() as AddressInfo).port),
)
onShutdown(async () => {
  server.close()
})
