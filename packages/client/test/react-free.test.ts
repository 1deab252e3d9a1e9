import { describe, expect, it, vi } from 'vitest'

// The client is framework-agnostic: it must load and run with React nowhere in sight.
vi.mock('react', () => ({}))

describe('@baton/client without React', () => {
  it('creates, reads its store and destroys a client', async () => {
    const { createSessionClient } = await import('@baton/client')
    const client = createSessionClient({ baseUrl: 'http://127.0.0.1:9/auth' })
    expect(client.store.getState().status).toBe('loading')
    client.destroy()
  })
})
