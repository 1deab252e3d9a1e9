import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Browser, startServer, until, type TestServer } from './harness'

let server: TestServer
let browser: Browser
beforeEach(async () => {
  server = await startServer()
  browser = new Browser(server)
})
afterEach(async () => {
  browser.destroy()
  await server.close()
})

describe('smoke', () => {
  it('logs in, calls the API, shares with a second tab', async () => {
    const a = browser.open()
    await a.client.start()
    expect(a.client.store.getState().status).toBe('unauthenticated')
    await a.client.login({ username: 'alice', password: 'alice-pw' })
    expect(a.client.store.getState().status).toBe('authenticated')
    const me = await a.client.api.get('me').json<{ id: string }>()
    expect(me.id).toBe('u-alice')
    const before = server.refreshCount()
    const b = browser.open()
    await b.client.start()
    expect(b.client.store.getState().status).toBe('authenticated')
    expect(server.refreshCount()).toBe(before)
    a.client.invalidateAccessToken()
    b.client.invalidateAccessToken()
    const results = await Promise.all([
      ...Array.from({ length: 20 }, () => a.client.api.get('me').json()),
      ...Array.from({ length: 20 }, () => b.client.api.get('me').json()),
    ])
    expect(results).toHaveLength(40)
    expect(server.refreshCount()).toBe(before + 1)
    await a.client.logout()
    await until(() => b.client.store.getState().status === 'unauthenticated', 1000)
    console.log(a.events, b.events)
  })
})
