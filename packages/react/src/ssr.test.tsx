// @vitest-environment node
import { describe, expect, inject, it } from 'vitest'

describe('on the server', () => {
  it('Should import without a window and render status "loading"', async () => {
    expect(typeof window).toBe('undefined')
    expect(typeof document).toBe('undefined')
    const { renderToString } = await import('react-dom/server')
    const { SessionProvider, createSessionClient, useSession, useSessionState } =
      await import('./index')
    // Still none: importing the package defined no browser global on the way.
    expect(typeof window).toBe('undefined')

    // The BFF is unreachable on purpose: rendering must not call it (effects never run here).
    const client = createSessionClient({ baseUrl: 'http://127.0.0.1:9/auth' })
    function Status() {
      const { status, user } = useSession()
      const onlyStatus = useSessionState((state) => state.status)
      return (
        <p role="status">
          {status}/{onlyStatus}/{user === null ? 'nobody' : 'someone'}
        </p>
      )
    }
    const html = renderToString(
      <SessionProvider client={client}>
        <Status />
      </SessionProvider>,
    )
    expect(html).toBe('<p role="status">loading<!-- -->/<!-- -->loading<!-- -->/<!-- -->nobody</p>')
    client.destroy()
  })

  it('Should render "loading" from the initial state even for a signed-in client', async () => {
    const { renderToString } = await import('react-dom/server')
    const { SessionProvider, createSessionClient, useSession } = await import('./index')
    const origin = inject('bffOrigin')
    const client = createSessionClient({
      baseUrl: `${origin}/auth`,
      channel: `baton-ssr-${process.pid}`,
      logger: { debug() {} },
      // What a browser would add by itself on this same-origin call.
      fetch: (input, init) => {
        const request = new Request(input, init)
        request.headers.set('origin', origin)
        return fetch(request)
      },
    })
    await client.login({ username: 'alice', password: 'alice-pw' })
    expect(client.store.getState().status).toBe('authenticated')

    // The server snapshot is the store's initial state, so server markup and the first client
    // render during hydration agree whatever this process's client knows.
    function Status() {
      const { status, user } = useSession()
      return <p>{user === null ? status : `${status} as ${String(user['name'])}`}</p>
    }
    const html = renderToString(
      <SessionProvider client={client}>
        <Status />
      </SessionProvider>,
    )
    expect(html).toBe('<p>loading</p>')
    await client.logout()
    client.destroy()
  })
})
