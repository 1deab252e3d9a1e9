/**
 * `baseUrl` must be absolute or start with '/': an absolute URL whose scheme holds `-`, `+` or `.`
 * (RFC 3986 §3.1: a browser extension's `chrome-extension://`, a desktop app's `my-app://`) is
 * absolute too.
 */
import { createSessionClient, type SessionClient } from '@baton/client'
import { afterEach, describe, expect, it } from 'vitest'

const clients: SessionClient[] = []
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy()
})

describe('review4 baseUrl: absolute URLs', () => {
  it.each(['chrome-extension://abcdefghijklmnop/auth', 'my-app://localhost/auth'])(
    'accepts the absolute URL %s',
    (baseUrl) => {
      expect(new URL(baseUrl).protocol.endsWith(':')).toBe(true)
      let error: unknown = null
      try {
        clients.push(
          createSessionClient({
            baseUrl,
            logger: { debug() {} },
            adapters: { channel: () => null, storage: null, dpopKeys: null },
          }),
        )
      } catch (thrown) {
        error = thrown
      }
      expect(error).toBeNull()
    },
  )
})
