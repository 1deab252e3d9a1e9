/**
 * A request body that ends abnormally (the client aborted mid-upload, a truncated chunked body) is
 * the client's doing: a typed 4xx, not `500 internal` and an unexpected-error log.
 */
import { describe, expect, it } from 'vitest'
import { createHarness, CSRF, ORIGIN, testLogger } from './helpers.js'

describe('a login body whose stream fails', () => {
  it('Should answer 400 invalid_request, not 500 internal, and log no unexpected error', async () => {
    const logger = testLogger()
    const h = await createHarness({ logger })
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"username":"alice",'))
        controller.error(new TypeError('terminated'))
      },
    })
    const req = new Request(`${ORIGIN}/auth/login`, {
      method: 'POST',
      headers: { ...CSRF, origin: ORIGIN, 'content-type': 'application/json' },
      body,
      duplex: 'half',
    })
    const res = await h.bff.request(req, undefined, {
      incoming: { socket: { remoteAddress: '203.0.113.5' } },
    })
    expect({
      status: res.status,
      code: ((await res.json()) as { error: { code: string } }).error.code,
    }).toStrictEqual({ status: 400, code: 'invalid_request' })
    expect(logger.error).not.toHaveBeenCalled()
  })
})
