/**
 * What a store failure leaves in the operator's log: enough to tell a refused connection from a
 * timeout (Node's `code`, `syscall`, `address`, `port`, each address's own error), and never the
 * command's arguments a client library hangs on the error (the session or the sealed value).
 */
import { format } from 'node:util'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createHarness, expectError } from './helpers.js'

const SECRET_ARGUMENT = 'baton:session:the-session-id-and-its-secret'

/** What `net.connect` rejects with when every address of `localhost` refuses, as ioredis passes it on. */
function refused(): AggregateError {
  const perAddress = (address: string, port: number) =>
    Object.assign(new Error(`connect ECONNREFUSED ${address}:${port}`), {
      errno: -111,
      code: 'ECONNREFUSED',
      syscall: 'connect',
      address,
      port,
    })
  return Object.assign(
    new AggregateError([perAddress('::1', 6379), perAddress('127.0.0.1', 6379)]),
    {
      code: 'ECONNREFUSED',
      command: { name: 'get', args: [SECRET_ARGUMENT] },
    },
  )
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('a store failure in the log', () => {
  it('keeps why the connection failed and drops the command’s arguments', async () => {
    const h = await createHarness()
    const { cookie } = await h.login('alice')
    h.store.get = () => Promise.reject(refused())

    await expectError(await h.refresh(cookie), 503, 'store_unavailable')

    expect(h.logger.error).toHaveBeenCalledTimes(1)
    const [message, logged] = h.logger.error.mock.calls[0]!
    expect(message).toBe('[baton] store_unavailable')
    expect(logged).toMatchObject({ code: 'ECONNREFUSED' })
    expect((logged as AggregateError).errors).toMatchObject([
      { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '::1', port: 6379 },
      { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 6379 },
    ])
    const text = format(message, logged)
    expect(text).toContain('connect ECONNREFUSED 127.0.0.1:6379')
    expect(text).not.toContain(SECRET_ARGUMENT)
    expect(logged).not.toHaveProperty('command')
  })

  it('reaches a console method replaced after the BFF was created', async () => {
    const h = await createHarness({ logger: console })
    const { cookie } = await h.login('alice')
    // What test runners and log shippers do: patch the console once the app is built.
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    h.store.get = () => Promise.reject(refused())

    await expectError(await h.refresh(cookie), 503, 'store_unavailable')

    expect(error).toHaveBeenCalledTimes(1)
    expect(error.mock.calls[0]![0]).toBe('[baton] store_unavailable')
    expect(error.mock.calls[0]![1]).toMatchObject({ code: 'ECONNREFUSED' })
  })
})
