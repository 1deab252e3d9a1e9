/**
 * @module
 * The floor's app (see `hono-floor.ts`), apart from its server so that `profile/refresh.ts` can
 * drive it in process next to Baton's.
 */
import { randomBytes } from 'node:crypto'
import { Hono, type Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { SignJWT, generateKeyPair, jwtVerify } from 'jose'

/** The floor's refresh cookie. */
export const COOKIE = 'floor_rt'
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

/** The floor: login, refresh, and `/api/me`. */
export const app = new Hono()
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
