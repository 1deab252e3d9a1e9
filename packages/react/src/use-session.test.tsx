import { StrictMode } from 'react'
import { act, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { TestBrowser, usePageOnBff } from '../test/browser'
import {
  SessionProvider,
  useSession,
  useSessionState,
  type SessionClient,
  type UseSessionResult,
} from './index'

usePageOnBff()

let browser: TestBrowser
let client: SessionClient
beforeEach(() => {
  browser = new TestBrowser()
  client = browser.open()
})
afterEach(async () => {
  await browser.close()
})

const signIn = (tab: SessionClient = client) =>
  act(async () => {
    await tab.login({ username: 'alice', password: 'alice-pw' })
  })

describe('useSessionState(selector)', () => {
  it('Should not re-render a component that reads status when the token is refreshed', async () => {
    const renders = { status: 0, expiry: 0 }
    function StatusView() {
      renders.status++
      const status = useSessionState((state) => state.status)
      return <p role="status">{status}</p>
    }
    function ExpiryView() {
      renders.expiry++
      const expiresAt = useSessionState((state) => state.expiresAt)
      return <p data-testid="expiry">{expiresAt}</p>
    }
    render(
      <SessionProvider client={client}>
        <StatusView />
        <ExpiryView />
      </SessionProvider>,
    )
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('unauthenticated'))
    await signIn()
    expect(screen.getByRole('status').textContent).toBe('authenticated')
    const before = { ...renders }
    const refreshesBefore = await browser.refreshes()
    const firstExpiry = client.store.getState().expiresAt

    act(() => client.invalidateAccessToken())
    await act(async () => {
      expect((await client.fetch('/api/me')).status).toBe(200)
    })

    expect(await browser.refreshes()).toBe(refreshesBefore + 1)
    expect(client.store.getState().expiresAt).toBeGreaterThan(firstExpiry!)
    expect(screen.getByTestId('expiry').textContent).toBe(String(client.store.getState().expiresAt))
    // Invalidating and the new token each changed expiresAt: two renders there, none for status.
    expect(renders.expiry).toBe(before.expiry + 2)
    expect(renders.status).toBe(before.status)
  })
})

describe('useSession()', () => {
  it('Should return the state and the client functions, keeping its identity while nothing changes', async () => {
    const results: UseSessionResult[] = []
    function Probe({ label }: { label: string }) {
      results.push(useSession())
      return <p data-testid="probe">{label}</p>
    }
    const view = render(
      <SessionProvider client={client}>
        <Probe label="a" />
      </SessionProvider>,
    )
    await waitFor(() => expect(results.at(-1)!.status).toBe('unauthenticated'))
    const signedOut = results.at(-1)!
    expect(signedOut).toMatchObject({
      user: null,
      sessionId: null,
      expiresAt: null,
      tokenLifetime: null,
      // A first visit without a session is not an error.
      error: null,
    })
    expect(signedOut.login).toBe(client.login)
    expect(signedOut.loginWithRedirect).toBe(client.loginWithRedirect)
    expect(signedOut.logout).toBe(client.logout)
    expect(signedOut.fetch).toBe(client.fetch)
    expect(signedOut.sessions).toBe(client.sessions)
    expect(signedOut.reauthenticate).toBe(client.reauthenticate)
    expect(signedOut.cancelStepUp).toBe(client.cancelStepUp)
    expect(signedOut.stepUp).toBeNull()

    // A re-render for another reason hands back the same object.
    view.rerender(
      <SessionProvider client={client}>
        <Probe label="b" />
      </SessionProvider>,
    )
    expect(screen.getByTestId('probe').textContent).toBe('b')
    expect(results.at(-1)).toBe(signedOut)

    await signIn()
    const signedIn = results.at(-1)!
    expect(signedIn).toMatchObject({
      status: 'authenticated',
      user: { id: 'u-alice', name: 'Alice' },
      sessionId: client.store.getState().sessionId,
      expiresAt: client.store.getState().expiresAt,
      tokenLifetime: client.store.getState().tokenLifetime,
      error: null,
    })
    expect(signedIn.tokenLifetime).toBeGreaterThan(0)
    expect(signedIn.login).toBe(signedOut.login)
    expect(signedIn.sessions).toBe(signedOut.sessions)
  })

  it('Should sign in, call the API and list the sessions through the functions it returns', async () => {
    let session: UseSessionResult | undefined
    function Probe() {
      session = useSession()
      return null
    }
    render(
      <SessionProvider client={client}>
        <Probe />
      </SessionProvider>,
    )
    await act(async () => {
      await session!.login({ username: 'bob', password: 'bob-pw' })
    })
    expect(session!.user).toEqual({ id: 'u-bob', name: 'Bob' })
    const response = await session!.fetch('/api/me')
    expect(response.status).toBe(200)
    expect(((await response.json()) as { id: string }).id).toBe('u-bob')
    // Bob signs in nowhere else in these tests: this is his one session.
    const [only, ...others] = await session!.sessions.list()
    expect(others).toEqual([])
    expect(only).toEqual({
      id: session!.sessionId,
      createdAt: only!.createdAt,
      // Signed in and not refreshed since.
      lastUsedAt: only!.createdAt,
      // The BFF's default absolute timeout.
      expiresAt: only!.createdAt + 30 * 24 * 60 * 60 * 1000,
      userAgent: navigator.userAgent,
      ip: '127.0.0.1',
      current: true,
      // Proved at the sign-in, and not since.
      authTime: only!.createdAt,
      // jsdom has no IndexedDB: no device key, so an unbound session (binding 'if_supported').
      bound: false,
    })
  })
})

describe('useSession({ required: true })', () => {
  function Protected({ onUnauthenticated }: { onUnauthenticated: () => void }) {
    const { status, user } = useSession({ required: true, onUnauthenticated })
    return (
      <p role="status">{status === 'authenticated' ? `Hello ${String(user?.['name'])}` : status}</p>
    )
  }

  it('Should call onUnauthenticated exactly once after logout, never while loading (StrictMode)', async () => {
    const onUnauthenticated = vi.fn()
    await signIn()
    render(
      <StrictMode>
        <SessionProvider client={client}>
          <Protected onUnauthenticated={onUnauthenticated} />
        </SessionProvider>
      </StrictMode>,
    )
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('Hello Alice'))
    expect(onUnauthenticated).not.toHaveBeenCalled()

    await act(() => client.logout())
    // Reported as loading, so a protected view never flashes a signed-out state.
    expect(screen.getByRole('status').textContent).toBe('loading')
    expect(onUnauthenticated).toHaveBeenCalledTimes(1)
    // A sign-out the user asked for is no error; the reason says what happened.
    expect(onUnauthenticated).toHaveBeenCalledWith(null, 'logged_out')
  })

  it('Should not call back while the status is loading, and once when the boot finds no session', async () => {
    const onUnauthenticated = vi.fn()
    // With a companion cookie the boot has to ask the BFF, so the status stays loading meanwhile.
    browser.staleSessionHint()
    render(
      <StrictMode>
        <SessionProvider client={client}>
          <Protected onUnauthenticated={onUnauthenticated} />
        </SessionProvider>
      </StrictMode>,
    )
    expect(screen.getByRole('status').textContent).toBe('loading')
    expect(onUnauthenticated).not.toHaveBeenCalled()
    await act(() => client.start())
    expect(client.store.getState().status).toBe('unauthenticated')
    expect(onUnauthenticated).toHaveBeenCalledTimes(1)
  })

  it('Should call back once, with no error, when an anonymous browser boots (StrictMode)', async () => {
    const onUnauthenticated = vi.fn()
    render(
      <StrictMode>
        <SessionProvider client={client}>
          <Protected onUnauthenticated={onUnauthenticated} />
        </SessionProvider>
      </StrictMode>,
    )
    expect(screen.getByRole('status').textContent).toBe('loading')
    expect(onUnauthenticated).toHaveBeenCalledTimes(1)
    expect(onUnauthenticated).toHaveBeenCalledWith(null, null)
    expect(await browser.refreshes()).toBe(0)
  })

  it('Should call back once per sign-out, also for a sign-out in another tab', async () => {
    const onUnauthenticated = vi.fn()
    const otherTab = browser.open()
    await act(() => Promise.all([client.start(), otherTab.start()]))
    render(
      <SessionProvider client={client}>
        <Protected onUnauthenticated={onUnauthenticated} />
      </SessionProvider>,
    )
    expect(onUnauthenticated).toHaveBeenCalledTimes(1)

    await signIn()
    expect(screen.getByRole('status').textContent).toBe('Hello Alice')
    await waitFor(() => expect(otherTab.store.getState().status).toBe('authenticated'))
    await act(() => otherTab.logout())
    await waitFor(() => expect(onUnauthenticated).toHaveBeenCalledTimes(2))
    expect(screen.getByRole('status').textContent).toBe('loading')
  })

  it('Should call back again when the provider is given another client with no session (StrictMode)', async () => {
    const onUnauthenticated = vi.fn()
    // Another client, started already: known to be signed out before it is given.
    const other = browser.open()
    await act(() => other.start())
    expect(other.store.getState().status).toBe('unauthenticated')
    const page = (tab: SessionClient) => (
      <StrictMode>
        <SessionProvider client={tab}>
          <Protected onUnauthenticated={onUnauthenticated} />
        </SessionProvider>
      </StrictMode>
    )
    const view = render(page(client))
    expect(onUnauthenticated).toHaveBeenCalledTimes(1)

    view.rerender(page(other))
    expect(screen.getByRole('status').textContent).toBe('loading')
    expect(onUnauthenticated).toHaveBeenCalledTimes(2)
    // With the other client's own account of why: none, or a refresh that found no cookie,
    // depending on whether its start read the companion cookie before the first client's wrote.
    const { error, endReason } = other.store.getState()
    expect(onUnauthenticated).toHaveBeenLastCalledWith(error, endReason)
  })

  it('Should redirect to redirectTo when no callback is given', async () => {
    const assign = vi.spyOn(window.location, 'assign').mockImplementation(() => {})
    try {
      function Page() {
        useSession({ required: true, redirectTo: '/signin?next=%2Fnotes' })
        return null
      }
      render(
        <SessionProvider client={client}>
          <Page />
        </SessionProvider>,
      )
      await act(() => client.start())
      expect(assign).toHaveBeenCalledTimes(1)
      expect(assign).toHaveBeenCalledWith('/signin?next=%2Fnotes')
    } finally {
      assign.mockRestore()
    }
  })
})
