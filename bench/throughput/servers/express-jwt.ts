/**
 * @module
 * Baseline, stateless: the seed articles' Express + `jsonwebtoken` stack. HS256 access tokens, a
 * refresh JWT in an HttpOnly cookie rotated on every refresh, and the used refresh tokens kept in
 * an in-memory revocation `Set` (`isRevoked` / `revokeToken` in the articles), which grows by one
 * token per refresh and is never pruned, as in the articles.
 *
 * Two deviations. Each refresh JWT carries a random `jti`, so the baseline is correct: without it,
 * two refreshes of one user within the same second mint byte-identical tokens (`iat` has second
 * precision), and the second is refused as revoked. And the secrets are KeyObjects (see below),
 * so the baseline is not slowed down by a jsonwebtoken quirk.
 */
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import express, { type Request, type Response } from 'express'
import jwt from 'jsonwebtoken'
import { announce, onShutdown } from './common.js'

// KeyObjects, not the articles' strings: given a string, jsonwebtoken 9 first tries to parse it
// as a PEM/DER private and then public key (two thrown OpenSSL errors, about 0.75 ms on this
// class of machine) on every sign and verify, which would make the baseline look far slower
// than the same code with a one-line fix.
const ACCESS_SECRET = createSecretKey(randomBytes(32))
const REFRESH_SECRET = createSecretKey(randomBytes(32))
const COOKIE = 'refresh_token'
const revoked = new Set<string>()

const readCookie = (req: Request): string | undefined =>
  new RegExp(`(?:^|;\\s*)${COOKIE}=([^;]+)`).exec(req.headers.cookie ?? '')?.[1]

function issue(res: Response, userId: string) {
  const accessToken = jwt.sign({ sub: userId }, ACCESS_SECRET, { expiresIn: '5m' })
  const refreshToken = jwt.sign({ sub: userId, jti: randomUUID() }, REFRESH_SECRET, {
    expiresIn: '7d',
  })
  res.cookie(COOKIE, refreshToken, {
    httpOnly: true,
    secure: true,
    sameSite: 'strict',
    path: '/auth',
    maxAge: 7 * 24 * 3600 * 1000,
  })
  res.json({ accessToken, tokenType: 'Bearer', expiresIn: 300 })
}

const app = express()
app.use(express.json())

app.post('/auth/login', (req: Request<unknown, unknown, { username?: unknown }>, res) => {
  const username = req.body?.username
  if (typeof username !== 'string' || username === '') {
    res.status(400).json({ error: 'username required' })
    return
  }
  issue(res, username)
})

app.post('/auth/refresh', (req, res) => {
  const token = readCookie(req)
  if (!token) {
    res.status(401).json({ error: 'No refresh token' })
    return
  }
  let decoded: jwt.JwtPayload
  try {
    decoded = jwt.verify(token, REFRESH_SECRET) as jwt.JwtPayload
  } catch {
    res.status(401).json({ error: 'Invalid refresh token' })
    return
  }
  if (revoked.has(token)) {
    res.status(403).json({ error: 'Refresh token revoked' })
    return
  }
  revoked.add(token)
  issue(res, String(decoded.sub))
})

app.get('/api/me', (req, res) => {
  const token = req.headers.authorization?.split(' ')[1]
  try {
    const user = jwt.verify(token ?? '', ACCESS_SECRET) as jwt.JwtPayload
    res.json({ id: user.sub })
  } catch {
    res.status(401).json({ error: 'Unauthorized' })
  }
})

const server = app.listen(0, '127.0.0.1', () => announce((server.address() as AddressInfo).port))
onShutdown(async () => {
  server.close()
})
