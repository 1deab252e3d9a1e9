/**
 * The BFF behind a real @hono/node-server socket, for what `app.request()` cannot show: chunked
 * bodies without Content-Length, with and without node-server's global Request/Response override,
 * on a JSON route and on the OpenID Connect back-channel logout's form.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { createBff } from '@baton/bff'
import { oidcLogin } from '@baton/bff/oidc'
import { afterEach, describe, expect, it } from 'vitest'

let server: ServerType | undefined
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = undefined
})

async function listen(overrideGlobalObjects: boolean): Promise<string> {
  const bff = createBff({
    authenticate: async ({ username, password }) =>
      username === 'alice' && password === 'pw' ? { id: 'u1' } : null,
    allowedOrigins: (origin) => origin.startsWith('http://127.0.0.1:'),
    logger: { warn() {}, error() {} },
    oidc: oidcLogin({
      // Nothing listens there: a logout token that gets as far as the provider is answered 503.
      issuer: 'http://127.0.0.1:9/',
      clientId: 'baton-bff',
      clientSecret: 'bff-client-secret',
      redirectUri: 'http://127.0.0.1/auth/oidc/callback',
      secret: 'a-test-secret-of-at-least-thirty-two-characters',
      mapUser: (claims) => ({ id: claims.sub }),
    }),
  })
  server = await new Promise<ServerType>((resolve) => {
    const s = serve(
      { fetch: bff.fetch, hostname: '127.0.0.1', port: 0, overrideGlobalObjects },
      () => resolve(s),
    )
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** POSTs `chunks` with Transfer-Encoding: chunked (no Content-Length), as streaming clients do. */
function postChunked(
  origin: string,
  path: string,
  chunks: string[],
  contentType = 'application/json',
) {
  const url = new URL(path, origin)
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', headers: { 'x-csrf': '1', origin, 'content-type': contentType } },
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

// false first: once a server with the override has run, the globals stay replaced for the process.
describe.each([false, true])('under @hono/node-server (overrideGlobalObjects: %s)', (override) => {
  it('accepts a chunked login body', async () => {
    const origin = await listen(override)
    const result = await postChunked(origin, '/auth/login', [
      '{"username":"alice",',
      '"password":"pw"}',
    ])
    expect(result.status).toBe(200)
    expect(result.body).toMatchObject({ tokenType: 'Bearer', user: { id: 'u1' } })
  })

  it('refuses a chunked body over 8 KiB with 413 payload_too_large, not a 500', async () => {
    const origin = await listen(override)
    const result = await postChunked(origin, '/auth/login', [
      '{"username":"',
      'a'.repeat(5_000),
      'a'.repeat(5_000),
      '"}',
    ])
    expect(result).toEqual({
      status: 413,
      body: {
        error: { code: 'payload_too_large', message: 'The request body exceeds 8192 bytes.' },
      },
    })
  })

  const backchannel = '/auth/oidc/backchannel-logout'
  const form = 'application/x-www-form-urlencoded'

  // Before: Hono's bodyLimit() re-wrapped the request in the global Request class: a 500.
  it('reads a chunked back-channel logout form', async () => {
    const origin = await listen(override)
    const result = await postChunked(origin, backchannel, ['foo=', 'bar'], form)
    expect(result).toEqual({
      status: 400,
      body: { error: { code: 'invalid_request', message: 'logout_token is required.' } },
    })
  })

  it('refuses a chunked back-channel logout form over 16 KiB with 413 payload_too_large', async () => {
    const origin = await listen(override)
    const result = await postChunked(
      origin,
      backchannel,
      ['logout_token=', 'a'.repeat(10_000), 'a'.repeat(10_000)],
      form,
    )
    expect(result).toEqual({
      status: 413,
      body: {
        error: { code: 'payload_too_large', message: 'The request body exceeds 16384 bytes.' },
      },
    })
  })

  it('reads a back-channel logout form whose media type is not lower-case (RFC 9110 §8.3.1)', async () => {
    const origin = await listen(override)
    const result = await postChunked(
      origin,
      backchannel,
      ['logout_token=eyJhbGciOiJSUzI1NiJ9.e30.c2ln'],
      'Application/X-WWW-Form-Urlencoded; charset=UTF-8',
    )
    // The token was read (before: "logout_token is required."), then the provider was needed.
    expect(result).toMatchObject({ status: 503, body: { error: { code: 'provider_unavailable' } } })
  })
})
