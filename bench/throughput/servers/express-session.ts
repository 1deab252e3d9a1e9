/**
 * @module
 * Baseline, stateful: the seed articles' `express-session` with a Redis store (`connect-redis` 9
 * on node-redis). "Refresh" is what rotates the credential in this model: `regenerate()` (a new
 * session id, the old one destroyed) with the user copied over, as the articles advise after
 * login. `/api/me` loads the session from Redis on every request, which is the cost this model
 * pays instead of verifying a JWT; express-session's default `touch` also writes its expiry back.
 *
 * `cookie.secure` is off: express-session refuses to set a Secure cookie over plain HTTP, and the
 * bench runs on loopback without TLS.
 */
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { RedisStore } from 'connect-redis'
import express, { type Request, type Response } from 'express'
import session from 'express-session'
import { createClient } from 'redis'
import { announce, onShutdown, serverEnv } from './common.js'

declare module 'express-session' {
  interface SessionData {
    userId: string
  }
}

const redis = createClient({ url: serverEnv.redisUrl })
redis.on('error', (error: unknown) => console.error('[express-session] redis', error))
await redis.connect()

const app = express()
app.use(express.json())
app.use(
  session({
    name: 'sid',
    store: new RedisStore({ client: redis, prefix: serverEnv.redisPrefix }),
    secret: randomBytes(32).toString('hex'),
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, secure: false, sameSite: 'strict', maxAge: 24 * 3600 * 1000 },
  }),
)

/** A new session id carrying `userId`; the old session is destroyed in Redis. */
function rotate(req: Request, res: Response, userId: string) {
  req.session.regenerate((regenerateError) => {
    if (regenerateError) {
      res.status(500).json({ error: 'session store failed' })
      return
    }
    req.session.userId = userId
    req.session.save((saveError) => {
      if (saveError) res.status(500).json({ error: 'session store failed' })
      else res.json({ user: { id: userId } })
    })
  })
}

app.post('/auth/login', (req: Request<unknown, unknown, { username?: unknown }>, res) => {
  const username = req.body?.username
  if (typeof username !== 'string' || username === '') {
    res.status(400).json({ error: 'username required' })
    return
  }
  rotate(req as Request, res, username)
})

app.post('/auth/refresh', (req, res) => {
  const userId = req.session.userId
  if (!userId) {
    res.status(401).json({ error: 'No session' })
    return
  }
  rotate(req, res, userId)
})

app.get('/api/me', (req, res) => {
  const userId = req.session.userId
  if (!userId) res.status(401).json({ error: 'Unauthorized' })
  else res.json({ id: userId })
})

const server = app.listen(0, '127.0.0.1', () => announce((server.address() as AddressInfo).port))
onShutdown(async () => {
  server.close()
  await redis.quit()
})
