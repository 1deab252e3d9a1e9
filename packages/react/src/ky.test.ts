import { afterEach, describe, expect, it } from 'vitest'
import * as clientKy from '@baton/client/ky'
import { TestBrowser, usePageOnBff } from '../test/browser'
import * as reactKy from './ky'
import { HTTPError, createKy } from './ky'

usePageOnBff()

let browser: TestBrowser
afterEach(async () => {
  await browser.close()
})

describe('@baton/react/ky', () => {
  it('Should re-export @baton/client/ky, every export the very same', () => {
    browser = new TestBrowser()
    expect(Object.keys(reactKy).sort()).toEqual(Object.keys(clientKy).sort())
    for (const [name, value] of Object.entries(clientKy)) {
      expect(reactKy[name as keyof typeof reactKy], name).toBe(value)
    }
  })

  it('Should call the API with the bearer token and refresh once for an expired one', async () => {
    browser = new TestBrowser()
    const client = browser.open()
    await client.login({ username: 'alice', password: 'alice-pw' })
    const api = createKy(client, { prefixUrl: '/api', retry: 0 })
    expect(await api.get('me').json()).toEqual({
      id: 'u-alice',
      sessionId: client.store.getState().sessionId,
    })

    const refreshesBefore = await browser.refreshes()
    client.invalidateAccessToken()
    expect(await api.get('me').json()).toEqual({
      id: 'u-alice',
      sessionId: client.store.getState().sessionId,
    })
    expect(await browser.refreshes()).toBe(refreshesBefore + 1)

    const error: unknown = await api.get('nowhere').catch((cause: unknown) => cause)
    expect(error).toBeInstanceOf(HTTPError)
    expect((error as HTTPError).response.status).toBe(404)
  })
})
