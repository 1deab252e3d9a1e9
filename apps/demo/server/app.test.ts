import { createHmac } from 'node:crypto'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateSigningKey, type BffEvent } from '@baton/bff'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_BODY_BYTES, MAX_NOTE_LENGTH } from './api'
import {
  CONTENT_SECURITY_POLICY,
  REFRESH_MARGIN_PLACEHOLDER,
  createDemoApp,
  type DemoApp,
} from './app'
import { ConfigError, loadConfig, type Env } from './config'

const ORIGIN = 'http://localhost'
const quiet = { warn() {}, error() {} }

let staticDir: string
beforeAll(() => {
  // A stand-in for `vite build`'s output, so these tests need no build.
  staticDir = mkdtempSync(join(tmpdir(), 'baton-demo-'))
  mkdirSync(join(staticDir, 'assets'))
  writeFileSync(
    join(staticDir, 'index.html'),
    `<!doctype html><html><head><meta name="baton-refresh-margin" content="${REFRESH_MARGIN_PLACEHOLDER}" />` +
      '<script type="module" src="/assets/app.js"></script></head><body><div id="root"></div></body></html>',
  )
  writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log("app")\n')
  // What `vite build` writes with `sourcemap: true`: the original sources, comments and all.
  writeFileSync(join(staticDir, 'assets', 'app.js.map'), '{"sourcesContent":["// secret"]}\n')
})
afterAll(() => {
  rmSync(staticDir, { recursive: true, force: true })
})

async function demo(env: Env = {}, events: BffEvent[] = [], lines: string[] = []) {
  return createDemoApp(loadConfig(env, 'production'), {
    staticDir,
    logger: quiet,
    onEvent: (event) => void events.push(event),
    log: (line) => void lines.push(line),
  })
}

async function signIn(app: DemoApp['app'], username = 'alice', password = 'wonderland') {
  const response = await app.request('/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf': '1', origin: ORIGIN },
    body: JSON.stringify({ username, password }),
  })
  expect(response.status).toBe(200)
  const body = (await response.json()) as { accessToken: string; sessionId: string }
  return { token: body.accessToken, sessionId: body.sessionId }
}

/** 32 bytes in base64url, as `BATON_MFA_KEY` takes them. */
const MFA_KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8'

/** The RFC 6238 code (SHA-1, six digits, 30 s) of a base32 `secret`, `offset` ms from now. */
function totp(secret: string, offset = 0): string {
  const bits = [...secret]
    .map((char) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(char).toString(2).padStart(5, '0'))
    .join('')
  const key = Buffer.from(bits.match(/.{8}/g)!.map((byte) => parseInt(byte, 2)))
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor((Date.now() + offset) / 30_000)))
  const hmac = createHmac('sha1', key).update(counter).digest()
  const at = hmac[hmac.length - 1]! & 0xf
  return String((hmac.readUInt32BE(at) & 0x7fffffff) % 1_000_000).padStart(6, '0')
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status)
  expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  const body = (await response.json()) as { error: { code: string; message: string } }
  expect(Object.keys(body)).toEqual(['error'])
  expect(body.error.code).toBe(code)
  expect(typeof body.error.message).toBe('string')
  expect(body.error.message.length).toBeGreaterThan(0)
}

describe('the demo API', () => {
  let app: DemoApp
  let token: string
  beforeAll(async () => {
    app = await demo()
    ;({ token } = await signIn(app.app))
  })
  afterAll(() => app.close())

  const postNote = (body: BodyInit, headers: Record<string, string> = {}) =>
    app.app.request('/api/notes', {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json', ...headers },
      body,
    })

  it('Should refuse requests without a valid bearer token (401 invalid_token)', async () => {
    await expectError(await app.app.request('/api/notes'), 401, 'invalid_token')
    await expectError(
      await app.app.request('/api/me', { headers: bearer('not.a.jwt') }),
      401,
      'invalid_token',
    )
  })

  it('Should answer GET /api/me from the token', async () => {
    const response = await app.app.request('/api/me', { headers: bearer(token) })
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.json()).toMatchObject({
      id: 'u-alice',
      name: 'Alice',
      email: 'alice@example.com',
      sessionId: expect.any(String),
      tokenExpiresAt: expect.any(Number),
    })
  })

  it('Should store notes per user', async () => {
    const created = await postNote(JSON.stringify({ text: '  Buy milk  ' }))
    expect(created.status).toBe(201)
    const { note } = (await created.json()) as { note: { id: string; text: string } }
    expect(note.text).toBe('Buy milk')

    const list = await app.app.request('/api/notes', { headers: bearer(token) })
    expect(await list.json()).toEqual({ notes: [expect.objectContaining({ text: 'Buy milk' })] })

    const bob = await signIn(app.app, 'bob', 'builder')
    const bobs = await app.app.request('/api/notes', { headers: bearer(bob.token) })
    expect(await bobs.json()).toEqual({ notes: [] })

    // A note's id tells nobody how many notes the other users wrote before it.
    const bobsNote = await app.app.request('/api/notes', {
      method: 'POST',
      headers: { ...bearer(bob.token), 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Fix the roof' }),
    })
    const { note: second } = (await bobsNote.json()) as { note: { id: string } }
    for (const id of [note.id, second.id]) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    }
    expect(second.id).not.toBe(note.id)
  })

  it.each([
    ['invalid JSON', '{"text": '],
    ['an empty body', ''],
    ['a JSON array', '["hello"]'],
    ['null', 'null'],
    ['no text', '{"title":"hello"}'],
    ['a number as text', '{"text":42}'],
    ['blank text', '{"text":"   "}'],
    ['text that is too long', JSON.stringify({ text: 'x'.repeat(MAX_NOTE_LENGTH + 1) })],
  ])('Should answer 400 invalid_request for %s', async (_case, body) => {
    await expectError(await postNote(body), 400, 'invalid_request')
  })

  it('Should answer 413 payload_too_large for a huge body', async () => {
    const body = JSON.stringify({ text: 'x'.repeat(MAX_BODY_BYTES * 25) })
    await expectError(await postNote(body), 413, 'payload_too_large')
  })

  it('Should answer 413 for a huge streamed body without Content-Length', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(1024))
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 64) controller.enqueue(chunk)
        else controller.close()
      },
    })
    const response = await app.app.request('/api/notes', {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit)
    await expectError(response, 413, 'payload_too_large')
  })

  it('Should answer unknown API routes with 404 not_found', async () => {
    await expectError(
      await app.app.request('/api/nothing', { headers: bearer(token) }),
      404,
      'not_found',
    )
  })

  it('Should refuse the token of a revoked session at once', async () => {
    const session = await signIn(app.app, 'bob', 'builder')
    const other = await signIn(app.app, 'bob', 'builder')
    const revoked = await app.app.request(`/auth/sessions/${session.sessionId}`, {
      method: 'DELETE',
      headers: bearer(other.token),
    })
    expect(revoked.status).toBe(204)
    await expectError(
      await app.app.request('/api/me', { headers: bearer(session.token) }),
      401,
      'invalid_token',
    )
    expect((await app.app.request('/api/me', { headers: bearer(other.token) })).status).toBe(200)
  })
})

describe('the SPA in production', () => {
  let app: DemoApp
  beforeAll(async () => {
    app = await demo({ BATON_REFRESH_MARGIN: '500ms' })
  })
  afterAll(() => app.close())

  it('Should serve index.html with the refresh margin filled in', async () => {
    const response = await app.app.request('/')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/html/)
    expect(response.headers.get('cache-control')).toBe('no-cache')
    const html = await response.text()
    expect(html).toContain('<meta name="baton-refresh-margin" content="500" />')
    expect(html).not.toContain(REFRESH_MARGIN_PLACEHOLDER)
  })

  it('Should send a strict CSP and the other security headers', async () => {
    const response = await app.app.request('/')
    expect(response.headers.get('content-security-policy')).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
        "form-action 'self'; frame-ancestors 'none'",
    )
    expect(CONTENT_SECURITY_POLICY.scriptSrc).toEqual(["'self'"])
    expect(response.headers.get('x-content-type-options')).toBe('nosniff')
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    expect(response.headers.get('referrer-policy')).toBe('no-referrer')
    expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin')
    expect(response.headers.get('permissions-policy')).toBe(
      'camera=(), microphone=(), geolocation=(), payment=()',
    )
  })

  it('Should send HSTS for at least a year (issue 12)', async () => {
    const response = await app.app.request('/')
    const hsts = response.headers.get('strict-transport-security')
    expect(hsts).toBe('max-age=31536000; includeSubDomains')
    expect(Number(/max-age=(\d+)/.exec(hsts ?? '')?.[1])).toBeGreaterThanOrEqual(31_536_000)
  })

  it.each([
    '/assets/app.js.map',
    '/assets/APP.JS.MAP',
    '/assets/app.js%2Emap',
    '/assets/app.js%2emap',
  ])('Should not serve the source map %s (issue 12)', async (path) => {
    await expectError(await app.app.request(path), 404, 'not_found')
  })

  it('Should serve client-side routes with the same HTML', async () => {
    for (const path of ['/login', '/devices', '/devices?tab=2']) {
      const response = await app.app.request(path)
      expect(response.status, path).toBe(200)
      expect(await response.text()).toContain('content="500"')
    }
  })

  it('Should serve fingerprinted assets with a long cache', async () => {
    const response = await app.app.request('/assets/app.js')
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(await response.text()).toBe('console.log("app")\n')
    await expectError(await app.app.request('/assets/missing.js'), 404, 'not_found')
  })

  it('Should answer unknown server paths with JSON, never the HTML', async () => {
    await expectError(await app.app.request('/auth/nothing'), 404, 'not_found')
    await expectError(await app.app.request('/.well-known/nothing'), 404, 'not_found')
    const jwks = await app.app.request('/.well-known/jwks.json')
    expect(jwks.status).toBe(200)
    expect(((await jwks.json()) as { keys: unknown[] }).keys).toHaveLength(1)
  })

  it('Should refuse to start in production without a built SPA', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'baton-demo-empty-'))
    try {
      await expect(
        createDemoApp(loadConfig({}, 'production'), { staticDir: empty, logger: quiet, log: null }),
      ).rejects.toThrow(/The SPA is not built .*pnpm --filter @baton\/demo build/)
    } finally {
      rmSync(empty, { recursive: true, force: true })
    }
  })
})

describe('BFF events and configuration', () => {
  it('Should pass every BFF event to onEvent and write it as a JSON line', async () => {
    const events: BffEvent[] = []
    const lines: string[] = []
    const app = await demo({}, events, lines)
    await signIn(app.app)
    const failed = await app.app.request('/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf': '1', origin: ORIGIN },
      body: JSON.stringify({ username: 'alice', password: 'nope' }),
    })
    await expectError(failed, 401, 'invalid_credentials')
    expect(events.map((event) => event.type)).toEqual(['login', 'login_failed'])
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      { msg: 'bff_event', ...events[0] },
      { msg: 'bff_event', ...events[1] },
    ])
    await app.close()
  })

  it('Should use the configured TTL and allowed origins', async () => {
    const app = await demo({
      BATON_ACCESS_TTL: '10s',
      BATON_ALLOWED_ORIGINS: 'https://app.example',
    })
    const refused = await app.app.request('/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf': '1', origin: ORIGIN },
      body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
    })
    await expectError(refused, 403, 'csrf_failed')
    const allowed = await app.app.request('/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf': '1', origin: 'https://app.example' },
      body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
    })
    expect(allowed.status).toBe(200)
    expect(((await allowed.json()) as { expiresIn: number }).expiresIn).toBe(10)
    await app.close()
  })

  it('Should sign with the keys from BATON_SIGNING_KEYS', async () => {
    const key = await generateSigningKey('ES256')
    const app = await demo({ BATON_SIGNING_KEYS: JSON.stringify([key]) })
    const jwks = (await (await app.app.request('/.well-known/jwks.json')).json()) as {
      keys: Array<{ kid: string; d?: string }>
    }
    expect(jwks.keys).toEqual([expect.objectContaining({ kid: key.kid })])
    expect(jwks.keys[0]?.d).toBeUndefined()
    await app.close()
  })

  it('Should stop at start on an unusable signing key, naming BATON_SIGNING_KEYS', async () => {
    const error = await demo({ BATON_SIGNING_KEYS: '[{"kty":"EC","crv":"P-256"}]' }).catch(
      (cause: unknown) => cause,
    )
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).variable).toBe('BATON_SIGNING_KEYS')
  })

  it('Should keep sessions in SQLite with BATON_STORE=sqlite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-demo-sqlite-'))
    try {
      const app = await demo({
        BATON_STORE: 'sqlite',
        BATON_SQLITE_PATH: join(dir, 'db', 's.db'),
        BATON_MFA_KEY: MFA_KEY,
      })
      const { token } = await signIn(app.app)
      const list = await app.app.request('/auth/sessions', { headers: bearer(token) })
      expect(((await list.json()) as { sessions: unknown[] }).sessions).toHaveLength(1)
      await app.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('Should open TOTP secrets sealed before a restart with the same BATON_MFA_KEY', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-demo-mfa-'))
    const env = {
      BATON_STORE: 'sqlite',
      BATON_SQLITE_PATH: join(dir, 's.db'),
      BATON_MFA_KEY: MFA_KEY,
    }
    try {
      const first = await demo(env)
      const { token } = await signIn(first.app)
      const post = (path: string, body: unknown) =>
        first.app.request(path, {
          method: 'POST',
          headers: { ...bearer(token), 'content-type': 'application/json', 'x-csrf': '1' },
          body: JSON.stringify(body),
        })
      const { id, secret } = (await (await post('/auth/factors/totp', {})).json()) as {
        id: string
        secret: string
      }
      expect((await post(`/auth/factors/totp/${id}/confirm`, { code: totp(secret) })).status).toBe(
        200,
      )
      await first.close()

      const second = await demo(env)
      const login = await second.app.request('/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf': '1', origin: ORIGIN },
        body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
      })
      expect(login.status).toBe(401)
      const { error } = (await login.json()) as { error: { code: string; ticket: string } }
      expect(error.code).toBe('mfa_required')
      const binder = login.headers.get('set-cookie')!.split(';')[0]!
      // The confirming code spent this time step; the next one (within the ±1 step) signs in.
      const finish = await second.app.request('/auth/login/mfa', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-csrf': '1',
          origin: ORIGIN,
          cookie: binder,
        },
        body: JSON.stringify({ ticket: error.ticket, method: 'totp', code: totp(secret, 30_000) }),
      })
      expect(finish.status).toBe(200)
      await second.close()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
