import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { MAX_PENDING_MESSAGES } from './admin'
import { createDemoApp, type DemoApp } from './app'
import { loadConfig, type Env } from './config'
import { createUserDirectory, type UserDirectory } from './users'

const ORIGIN = 'http://localhost'
const quiet = { warn() {}, error() {} }

let users: UserDirectory
beforeAll(async () => {
  // scrypt is slow on purpose; hash the demo passwords once for the whole file.
  users = await createUserDirectory()
})

const open: DemoApp[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((demo) => demo.close()))
})

async function demo(env: Env = {}) {
  const app = await createDemoApp(loadConfig(env, 'production'), {
    staticDir: null,
    logger: quiet,
    log: null,
    users,
  })
  open.push(app)
  return app
}

async function signIn(demo: DemoApp, username: string, password: string) {
  const response = await demo.app.request('/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf': '1', origin: ORIGIN },
    body: JSON.stringify({ username, password }),
  })
  expect(response.status).toBe(200)
  const body = (await response.json()) as {
    accessToken: string
    sessionId: string
    expiresIn: number
  }
  return { token: body.accessToken, sessionId: body.sessionId, expiresIn: body.expiresIn }
}
const alice = (app: DemoApp) => signIn(app, 'alice', 'wonderland')
const bob = (app: DemoApp) => signIn(app, 'bob', 'builder')

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const CSRF = { 'x-csrf': '1', origin: ORIGIN }

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status)
  expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code)
}

interface SseMessage {
  event: string
  data: string
  id?: string
}

/** Reads an SSE response message by message. */
function sseReader(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  return {
    async next(): Promise<SseMessage | null> {
      for (;;) {
        const end = buffer.indexOf('\n\n')
        if (end >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const message: SseMessage = { event: 'message', data: '' }
          for (const line of block.split('\n')) {
            const [field, ...rest] = line.split(': ')
            const value = rest.join(': ')
            if (field === 'event') message.event = value
            else if (field === 'data') message.data = value
            else if (field === 'id') message.id = value
          }
          return message
        }
        const { done, value } = await reader.read()
        if (done) return null
        buffer += value
      }
    },
    cancel: () => reader.cancel(),
  }
}

const openEvents = (app: DemoApp, token: string, signal?: AbortSignal) =>
  app.app.request('/api/admin/events', { headers: bearer(token), ...(signal ? { signal } : {}) })

/** Waits until `check` holds, for at most a second (a stream's clean-up runs asynchronously). */
async function eventually(check: () => boolean) {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 10))
  expect(check()).toBe(true)
}

describe('security console API', () => {
  it('Should refuse every admin route to a signed-in member (403) and to nobody (401)', async () => {
    const app = await demo()
    const { token, sessionId } = await bob(app)
    const routes = [
      app.app.request('/api/admin/events', { headers: bearer(token) }),
      app.app.request('/api/admin/sessions', { headers: bearer(token) }),
      app.app.request(`/api/admin/sessions/${sessionId}`, {
        method: 'DELETE',
        headers: { ...bearer(token), ...CSRF },
      }),
      app.app.request('/api/admin/users/u-alice/sessions', {
        method: 'DELETE',
        headers: { ...bearer(token), ...CSRF },
      }),
    ]
    for (const response of await Promise.all(routes.map((route) => Promise.resolve(route)))) {
      expect(response.headers.get('content-type')).toMatch(/^application\/json/)
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect({ status: response.status, body: await response.json() }).toStrictEqual({
        status: 403,
        body: {
          error: { code: 'forbidden', message: 'The security console is for administrators.' },
        },
      })
    }
    // The member's own session was not touched, and nobody was subscribed to the events.
    expect((await app.app.request('/api/me', { headers: bearer(token) })).status).toBe(200)
    expect(app.hub.subscriberCount).toBe(0)
    await expectError(await app.app.request('/api/admin/events'), 401, 'invalid_token')
    await expectError(
      await app.app.request('/api/admin/sessions', { headers: bearer('not.a.jwt') }),
      401,
      'invalid_token',
    )
  })

  it('Should stream every user’s events to an admin, and let go when the admin disconnects', async () => {
    const app = await demo()
    const admin = await alice(app)
    const response = await openEvents(app, admin.token)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/event-stream')
    expect(response.headers.get('cache-control')).toBe('no-store')
    const stream = sseReader(response)

    const snapshot = await stream.next()
    expect(snapshot?.event).toBe('snapshot')
    const opened = JSON.parse(snapshot!.data) as {
      events: { seq: number; event: { type: string; userId: string } }[]
      refreshesPerMinute: number[]
      totals: Record<string, number>
    }
    expect(opened.events.map(({ seq, event }) => [seq, event.type, event.userId])).toStrictEqual([
      [1, 'login', 'u-alice'],
    ])
    expect(opened.totals).toStrictEqual({ login: 1 })
    expect(opened.refreshesPerMinute).toHaveLength(30)
    expect(app.hub.subscriberCount).toBe(1)

    const other = await bob(app)
    const live = await stream.next()
    expect(live?.event).toBe('audit')
    expect(live?.id).toBe('2')
    expect(JSON.parse(live!.data)).toMatchObject({
      type: 'login',
      userId: 'u-bob',
      sessionId: other.sessionId,
    })

    await stream.cancel()
    await eventually(() => app.hub.subscriberCount === 0)
  })

  it('Should let go of the subscriber when the request is aborted', async () => {
    const app = await demo()
    const admin = await alice(app)
    const controller = new AbortController()
    const response = await openEvents(app, admin.token, controller.signal)
    const stream = sseReader(response)
    expect((await stream.next())?.event).toBe('snapshot')
    expect(app.hub.subscriberCount).toBe(1)
    controller.abort()
    await stream.cancel().catch(() => {})
    await eventually(() => app.hub.subscriberCount === 0)
  })

  it('Should end the stream when the admin’s own session is revoked', async () => {
    const app = await demo()
    const admin = await alice(app)
    const stream = sseReader(await openEvents(app, admin.token))
    expect((await stream.next())?.event).toBe('snapshot')
    // Another admin tab (here, the same admin) ends this session from the console.
    const other = await alice(app)
    expect((await stream.next())?.event).toBe('audit') // the second login
    const revoked = await app.app.request(`/api/admin/sessions/${admin.sessionId}`, {
      method: 'DELETE',
      headers: { ...bearer(other.token), ...CSRF },
    })
    expect(revoked.status).toBe(204)
    const rest: SseMessage[] = []
    for (let message = await stream.next(); message; message = await stream.next()) {
      rest.push(message)
    }
    // The store says "revoked" before the BFF emits the event: the stream ends first.
    expect(rest).toStrictEqual([{ event: 'end', data: 'revoked' }])
    expect(app.hub.subscriberCount).toBe(0)
  })

  it('Should cut off a console that stops reading, instead of buffering for it', async () => {
    const app = await demo()
    const admin = await alice(app)
    const stream = sseReader(await openEvents(app, admin.token))
    expect((await stream.next())?.event).toBe('snapshot')
    const login = app.hub.snapshot().events[0]!.event
    // Nobody reads: the messages pile up until MAX_PENDING_MESSAGES, then the stream is dropped.
    for (let i = 0; i < MAX_PENDING_MESSAGES + 5; i++) app.hub.publish(login)
    await eventually(() => app.hub.subscriberCount === 0)
    await stream.cancel()
  })

  it('Should end the stream when the token it was opened with expires', async () => {
    const app = await demo({ BATON_ACCESS_TTL: '1s' })
    const admin = await alice(app)
    const stream = sseReader(await openEvents(app, admin.token))
    expect((await stream.next())?.event).toBe('snapshot')
    const end = await stream.next()
    expect(end).toStrictEqual({ event: 'end', data: 'expired' })
    expect(await stream.next()).toBeNull()
    expect(app.hub.subscriberCount).toBe(0)
  })

  // Before: the 25-day expiry overflowed setTimeout (> 2^31 - 1 ms), fired after 1 ms and ended the stream `expired` at once.
  it('Should keep the stream open while a 25-day token is valid (beyond setTimeout’s limit)', async () => {
    const app = await demo({ BATON_ACCESS_TTL: '25d' })
    const admin = await alice(app)
    expect(admin.expiresIn).toBe(25 * 24 * 3600) // the config and the BFF accept the lifetime
    const stream = sseReader(await openEvents(app, admin.token))
    expect((await stream.next())?.event).toBe('snapshot')
    // Nothing else comes for a while (the next heartbeat is 20 s away).
    const next = stream.next()
    const after = await Promise.race([
      next.then(() => 'message'),
      new Promise<string>((resolve) => setTimeout(() => resolve('nothing'), 500)),
    ])
    expect(after).toBe('nothing')
    expect(app.hub.subscriberCount).toBe(1)
    await stream.cancel()
    await next.catch(() => {})
    await eventually(() => app.hub.subscriberCount === 0)
  })

  it('Should list every user’s live sessions', async () => {
    const app = await demo()
    const admin = await alice(app)
    const member = await bob(app)
    const response = await app.app.request('/api/admin/sessions', { headers: bearer(admin.token) })
    expect(response.status).toBe(200)
    const { users: listed } = (await response.json()) as {
      users: { id: string; role: string; sessions: { id: string }[] }[]
    }
    expect(
      listed.map((user) => [user.id, user.role, user.sessions.map((session) => session.id)]),
    ).toStrictEqual([
      ['u-alice', 'admin', [admin.sessionId]],
      ['u-bob', 'member', [member.sessionId]],
    ])
  })

  it('Should revoke one session, then every session of a user, and the API refuses them at once', async () => {
    const app = await demo()
    const admin = await alice(app)
    const first = await bob(app)
    const second = await bob(app)
    const revokeOne = (id: string) =>
      app.app.request(`/api/admin/sessions/${id}`, {
        method: 'DELETE',
        headers: { ...bearer(admin.token), ...CSRF },
      })
    expect((await revokeOne(first.sessionId)).status).toBe(204)
    await expectError(
      await app.app.request('/api/me', { headers: bearer(first.token) }),
      401,
      'invalid_token',
    )
    await expectError(await revokeOne(first.sessionId), 404, 'not_found')

    const everything = await app.app.request('/api/admin/users/u-bob/sessions', {
      method: 'DELETE',
      headers: { ...bearer(admin.token), ...CSRF },
    })
    expect(everything.status).toBe(200)
    expect(await everything.json()).toStrictEqual({ revoked: [second.sessionId] })
    expect((await app.app.request('/api/me', { headers: bearer(second.token) })).status).toBe(401)
    await expectError(
      await app.app.request('/api/admin/users/u-nobody/sessions', {
        method: 'DELETE',
        headers: { ...bearer(admin.token), ...CSRF },
      }),
      404,
      'not_found',
    )
  })

  it('Should refuse a revocation without the CSRF header or from a foreign origin', async () => {
    const app = await demo()
    const admin = await alice(app)
    const member = await bob(app)
    const attempt = (headers: Record<string, string>) =>
      app.app.request(`/api/admin/sessions/${member.sessionId}`, {
        method: 'DELETE',
        headers: { ...bearer(admin.token), ...headers },
      })
    await expectError(await attempt({ origin: ORIGIN }), 403, 'csrf_failed')
    await expectError(
      await attempt({ 'x-csrf': '1', origin: 'https://evil.example' }),
      403,
      'csrf_failed',
    )
    await expectError(
      await attempt({ 'x-csrf': '1', 'sec-fetch-site': 'cross-site' }),
      403,
      'csrf_failed',
    )
    // Nothing was revoked.
    expect((await app.app.request('/api/me', { headers: bearer(member.token) })).status).toBe(200)
    expect((await attempt({ 'x-csrf': '1', 'sec-fetch-site': 'same-origin' })).status).toBe(204)
  })
})
