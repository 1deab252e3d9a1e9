/**
 * The demo behind a real @hono/node-server socket, for what `app.request()` cannot show: note
 * bodies sent chunked, without Content-Length, as streaming clients send them.
 */
import http from 'node:http'
import net, { type AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { MAX_BODY_BYTES } from './api'
import { createDemoApp, type DemoApp } from './app'
import { loadConfig } from './config'
import { startDemoServer } from './start'
import { createUserDirectory, type UserDirectory } from './users'

const quiet = { warn() {}, error() {} }
const config = loadConfig({ PORT: '0' }, 'production')

let users: UserDirectory
beforeAll(async () => {
  // scrypt is slow on purpose; hash the demo passwords once for the whole file.
  users = await createUserDirectory()
})

interface Reply {
  status: number
  body: unknown
}

/** POSTs `chunks` one write each: Transfer-Encoding chunked, no Content-Length. */
function postChunked(
  url: string,
  headers: Record<string, string>,
  chunks: readonly string[],
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      (response) => {
        let text = ''
        response.on('data', (chunk: Buffer) => (text += chunk.toString()))
        response.on('end', () =>
          resolve({ status: response.statusCode!, body: JSON.parse(text) as unknown }),
        )
      },
    )
    request.on('error', reject)
    for (const chunk of chunks) request.write(chunk)
    request.end()
  })
}

async function signIn(origin: string): Promise<string> {
  const reply = await postChunked(`${origin}/auth/login`, { 'x-csrf': '1', origin }, [
    '{"username":"alice",',
    '"password":"wonderland"}',
  ])
  expect(reply.status).toBe(200)
  return (reply.body as { accessToken: string }).accessToken
}

/** The two note requests every server below must answer the same way. */
function notesOverChunkedBodies(origin: () => string) {
  let token: string
  beforeAll(async () => {
    token = await signIn(origin())
  })
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('Should accept a chunked note', async () => {
    const errors = vi.spyOn(console, 'error')
    const reply = await postChunked(`${origin()}/api/notes`, { authorization: `Bearer ${token}` }, [
      '{"text":',
      '"Buy milk"}',
    ])
    expect(reply).toEqual({
      status: 201,
      body: { note: { id: expect.any(String), text: 'Buy milk', createdAt: expect.any(Number) } },
    })
    expect(errors).not.toHaveBeenCalled()
  })

  it('Should refuse a chunked body over the cap with 413 payload_too_large, not a 500', async () => {
    const errors = vi.spyOn(console, 'error')
    const reply = await postChunked(`${origin()}/api/notes`, { authorization: `Bearer ${token}` }, [
      '{"text":"',
      'x'.repeat(MAX_BODY_BYTES / 2),
      'x'.repeat(MAX_BODY_BYTES / 2),
      '"}',
    ])
    expect(reply).toEqual({
      status: 413,
      body: {
        error: {
          code: 'payload_too_large',
          message: `The request body exceeds ${MAX_BODY_BYTES} bytes.`,
        },
      },
    })
    expect(errors).not.toHaveBeenCalled()
  })
}

// This block runs first: once node-server has replaced the global Request and Response (as
// startDemoServer lets it), they stay replaced for the rest of the process.
describe('the demo app under @hono/node-server with the native Request and Response', () => {
  let demo: DemoApp
  let server: ServerType
  let origin: string
  beforeAll(async () => {
    demo = await createDemoApp(config, { staticDir: null, log: null, logger: quiet, users })
    server = await new Promise<ServerType>((resolve) => {
      const s = serve(
        { fetch: demo.app.fetch, hostname: '127.0.0.1', port: 0, overrideGlobalObjects: false },
        () => resolve(s),
      )
    })
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await demo.close()
  })

  notesOverChunkedBodies(() => origin)
})

describe('startDemoServer', () => {
  let server: Awaited<ReturnType<typeof startDemoServer>>
  beforeAll(async () => {
    server = await startDemoServer({ config, staticDir: null, log: null, logger: quiet, users })
  })
  afterAll(() => server.close())

  notesOverChunkedBodies(() => server.url)

  /** `head` sent as it is, as no `fetch` would send it; the answer's status, headers and body. */
  const raw = (head: string) =>
    new Promise<{ status: number; headers: Record<string, string>; body: string }>(
      (resolve, reject) => {
        const socket = net.connect(server.port, '127.0.0.1', () => socket.end(head))
        let data = ''
        socket.on('data', (chunk: Buffer) => (data += chunk.toString()))
        socket.on('error', reject)
        socket.on('close', () => {
          const [top = '', ...rest] = data.split('\r\n\r\n')
          const [statusLine = '', ...lines] = top.split('\r\n')
          const headers = Object.fromEntries(
            lines.map((line) => {
              const at = line.indexOf(':')
              return [line.slice(0, at).toLowerCase(), line.slice(at + 1).trim()]
            }),
          )
          resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('') })
        })
      },
    )

  it.each([
    ['a backslash in the path', 'GET /assets\\index.js HTTP/1.1\r\nHost: 127.0.0.1\r\n'],
    ['a malformed Host header', 'GET /auth/sessions HTTP/1.1\r\nHost: [bad\r\n'],
  ])(
    'Should answer a request it cannot parse (%s) as the app answers a bad one',
    async (_, head) => {
      const reply = await raw(`${head}Connection: close\r\n\r\n`)
      // Before: the adapter's own bare `400 text/plain`, empty, without the app's headers.
      expect(reply.status).toBe(400)
      expect(reply.headers['content-type']).toMatch(/^application\/json/)
      expect(reply.headers['x-content-type-options']).toBe('nosniff')
      expect(reply.headers['content-security-policy']).toContain("default-src 'self'")
      const body =
        reply.headers['transfer-encoding'] === 'chunked' ? reply.body.split('\r\n')[1]! : reply.body
      expect(JSON.parse(body)).toStrictEqual({
        error: { code: 'invalid_request', message: 'The request is malformed.' },
      })
    },
  )
})
