import { StrictMode } from 'react'
import { act, render, screen, waitFor } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import { TestBrowser, usePageOnBff } from '../test/browser'
import { SessionProvider, useBatonClient, useSessionState } from './index'

usePageOnBff()

let browser: TestBrowser
afterEach(async () => {
  await browser.close()
})

function Status() {
  const status = useSessionState((state) => state.status)
  const name = useSessionState((state) => state.user?.['name'])
  return <p role="status">{status === 'authenticated' ? `Signed in as ${String(name)}` : status}</p>
}

describe('SessionProvider', () => {
  it('Should boot an anonymous browser once under StrictMode, with no refresh (signed out)', async () => {
    browser = new TestBrowser()
    const client = browser.open()
    render(
      <StrictMode>
        <SessionProvider client={client}>
          <Status />
        </SessionProvider>
      </StrictMode>,
    )
    // No companion cookie, so no session to ask about: signed out by the first commit's effect.
    expect(screen.getByRole('status').textContent).toBe('unauthenticated')
    expect(client.store.getState().error).toBeNull()
    expect(await browser.refreshes()).toBe(0)
  })

  it('Should boot the client once under StrictMode (one refresh, signed out)', async () => {
    browser = new TestBrowser()
    // The hint outlived its session, so the client has to ask the BFF.
    browser.staleSessionHint()
    const client = browser.open()
    render(
      <StrictMode>
        <SessionProvider client={client}>
          <Status />
        </SessionProvider>
      </StrictMode>,
    )
    expect(screen.getByRole('status').textContent).toBe('loading')
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('unauthenticated'))
    expect(await browser.refreshes()).toBe(1)
  })

  it('Should boot the client once under StrictMode (one refresh, signed in by its cookie)', async () => {
    browser = new TestBrowser()
    const loginTab = browser.open()
    await loginTab.login({ username: 'alice', password: 'alice-pw' })
    // Gone, so the new tab cannot take the token from it and must use the cookie.
    loginTab.destroy()

    const client = browser.open()
    render(
      <StrictMode>
        <SessionProvider client={client}>
          <Status />
        </SessionProvider>
      </StrictMode>,
    )
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('Signed in as Alice'))
    expect(await browser.refreshes()).toBe(1)
  })

  it('Should share one client between two providers and still boot it once', async () => {
    browser = new TestBrowser()
    browser.staleSessionHint()
    const client = browser.open()
    render(
      <StrictMode>
        <SessionProvider client={client}>
          <Status />
        </SessionProvider>
        <SessionProvider client={client}>
          <Status />
        </SessionProvider>
      </StrictMode>,
    )
    await waitFor(() =>
      expect(screen.getAllByRole('status').map((s) => s.textContent)).toEqual([
        'unauthenticated',
        'unauthenticated',
      ]),
    )
    expect(await browser.refreshes()).toBe(1)
  })

  it('Should hand the very client to useBatonClient()', async () => {
    browser = new TestBrowser()
    const client = browser.open()
    let seen: unknown
    function Probe() {
      seen = useBatonClient()
      return null
    }
    render(
      <SessionProvider client={client}>
        <Probe />
      </SessionProvider>,
    )
    expect(seen).toBe(client)
    await act(() => client.start())
  })
})

describe('useBatonClient outside a provider', () => {
  it('Should throw an error that names SessionProvider', () => {
    browser = new TestBrowser()
    function Orphan() {
      useBatonClient()
      return null
    }
    // React reports the error it rethrows; keep the test output clean.
    const onError = (event: ErrorEvent) => event.preventDefault()
    window.addEventListener('error', onError)
    try {
      expect(() => render(<Orphan />)).toThrowError(
        '[baton] No session client found: wrap your app in <SessionProvider client={baton}> ' +
          '(from @baton/react) before calling useSession(), useSessionState() or useBatonClient().',
      )
    } finally {
      window.removeEventListener('error', onError)
    }
  })
})
