import { act, render, renderHook, screen, waitFor } from '@testing-library/react'
import { Activity, type ReactNode } from 'react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { TestBrowser, usePageOnBff } from '../test/browser'
import {
  MfaRequiredError,
  SessionExpiredError,
  SessionProvider,
  useMfa,
  type FactorProof,
  type SessionClient,
} from './index'

usePageOnBff()

let browser: TestBrowser
let client: SessionClient
/** The proofs `complete()` of the last second-factor error was called with. */
let proofs: FactorProof[]
/** What that `complete()` does: by default, the real password sign-in (a code was right). */
let completion: (proof: FactorProof) => Promise<unknown>

const challenge = { ticket: 'ticket-1', methods: ['totp', 'passkey'] as const, expiresAt: 0 }

beforeEach(() => {
  browser = new TestBrowser()
  const real = browser.open()
  proofs = []
  completion = () => real.login({ username: 'alice', password: 'alice-pw' })
  // A user with a second factor, as the BFF's `401 mfa_required` makes `login()` answer.
  client = {
    ...real,
    login: vi.fn((credentials: { username: string; password: string }) =>
      credentials.username === 'carol'
        ? Promise.reject(
            new MfaRequiredError(
              { ...challenge, methods: [...challenge.methods], expiresAt: Date.now() + 60_000 },
              {
                status: 401,
                complete: (proof) => {
                  proofs.push(proof)
                  return completion(proof) as never
                },
              },
            ),
          )
        : real.login(credentials),
    ),
  }
})
afterEach(async () => {
  vi.useRealTimers()
  await browser.close()
})

const wrapper = ({ children }: { children: ReactNode }) => (
  <SessionProvider client={client}>{children}</SessionProvider>
)
const carol = { username: 'carol', password: 'carol-pw' }

describe('useMfa()', () => {
  it('Should sign a user without a second factor in at once, with no challenge', async () => {
    const { result } = renderHook(() => useMfa(), { wrapper })
    let user: unknown
    await act(async () => {
      user = await result.current.login({ username: 'alice', password: 'alice-pw' })
    })
    expect(user).toEqual({ id: 'u-alice', name: 'Alice' })
    expect(result.current.challenge).toBeNull()
  })

  it('Should turn mfa_required into a challenge, and complete() into a sign-in', async () => {
    const { result } = renderHook(() => useMfa(), { wrapper })
    const { complete, login } = result.current
    let answer: unknown = 'unset'
    await act(async () => {
      answer = await result.current.login(carol)
    })
    expect(answer).toBeNull()
    expect(result.current.challenge).toEqual({
      ticket: 'ticket-1',
      methods: ['totp', 'passkey'],
      expiresAt: expect.any(Number) as number,
    })
    await act(async () => {
      await result.current.complete({ method: 'totp', code: '123456' })
    })
    expect(proofs).toEqual([{ method: 'totp', code: '123456' }])
    expect(result.current.challenge).toBeNull()
    expect(client.store.getState().status).toBe('authenticated')
    // Stable: safe in effects' dependencies and as form actions.
    expect(result.current.complete).toBe(complete)
    expect(result.current.login).toBe(login)
  })

  it('Should keep the challenge after a wrong code, and drop it when the ticket is over', async () => {
    const { result } = renderHook(() => useMfa(), { wrapper })
    await act(async () => void (await result.current.login(carol)))
    completion = () => Promise.reject(new Error('The code is wrong.'))
    await act(async () => {
      await expect(result.current.complete({ method: 'totp', code: '000000' })).rejects.toThrow(
        'The code is wrong.',
      )
    })
    expect(result.current.challenge).not.toBeNull()
    completion = () => Promise.reject(new SessionExpiredError('session_expired'))
    await act(async () => {
      await expect(
        result.current.complete({ method: 'totp', code: '000000' }),
      ).rejects.toBeInstanceOf(SessionExpiredError)
    })
    expect(result.current.challenge).toBeNull()
  })

  it('Should drop the challenge on cancel() and when the ticket expires', async () => {
    const { result } = renderHook(() => useMfa(), { wrapper })
    await act(async () => void (await result.current.login(carol)))
    act(() => result.current.cancel())
    expect(result.current.challenge).toBeNull()
    await expect(result.current.complete({ method: 'totp', code: '1' })).rejects.toMatchObject({
      code: 'request_failed',
    })
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    await act(async () => void (await result.current.login(carol)))
    expect(result.current.challenge).not.toBeNull()
    act(() => void vi.advanceTimersByTime(60_000))
    expect(result.current.challenge).toBeNull()
  })

  it('Should drop the pending second step when the provider is given another client', async () => {
    let current = client
    const swapping = ({ children }: { children: ReactNode }) => (
      <SessionProvider client={current}>{children}</SessionProvider>
    )
    const hook = renderHook(() => useMfa(), { wrapper: swapping })
    await act(async () => {
      expect(await hook.result.current.login(carol)).toBeNull()
    })
    expect(hook.result.current.challenge?.ticket).toBe('ticket-1')

    current = browser.open()
    hook.rerender()

    // Before: the first client's challenge stayed, and complete() signed that client in.
    expect(hook.result.current.challenge).toBeNull()
    await act(async () => {
      await expect(
        hook.result.current.complete({ method: 'totp', code: '123456' }),
      ).rejects.toMatchObject({ code: 'request_failed' })
    })
    expect(proofs).toStrictEqual([])
  })

  // Before: the challenge was only hidden; given the first client back, it reappeared and complete() finished it.
  it('Should not bring the dropped challenge back when the provider is given the first client again', async () => {
    let current = client
    const swapping = ({ children }: { children: ReactNode }) => (
      <SessionProvider client={current}>{children}</SessionProvider>
    )
    const hook = renderHook(() => useMfa(), { wrapper: swapping })
    await act(async () => {
      expect(await hook.result.current.login(carol)).toBeNull()
    })
    expect(hook.result.current.challenge?.ticket).toBe('ticket-1')

    const first = current
    current = browser.open()
    hook.rerender()
    expect(hook.result.current.challenge).toBeNull()

    current = first
    hook.rerender()
    expect(hook.result.current.challenge).toBeNull()
    await act(async () => {
      await expect(
        hook.result.current.complete({ method: 'totp', code: '123456' }),
      ).rejects.toMatchObject({ code: 'request_failed' })
    })
    expect(proofs).toStrictEqual([])

    // A login() of the first client that settles after the switch does not store its challenge.
    let late: Promise<unknown> = Promise.resolve()
    act(() => void (late = hook.result.current.login(carol)))
    current = browser.open()
    hook.rerender()
    await act(async () => void (await late))
    current = first
    hook.rerender()
    expect(hook.result.current.challenge).toBeNull()
  })

  // Before, the effect's cleanup dropped it: hiding a form with <Activity> runs every cleanup.
  it('Should keep the pending step of a form hidden and shown again with <Activity>', async () => {
    let mfa!: ReturnType<typeof useMfa>
    function Form() {
      mfa = useMfa()
      return null
    }
    const tree = (mode: 'visible' | 'hidden') => (
      <SessionProvider client={client}>
        <Activity mode={mode}>
          <Form />
        </Activity>
      </SessionProvider>
    )
    const { rerender } = render(tree('visible'))
    await act(async () => void (await mfa.login(carol)))
    expect(mfa.challenge?.ticket).toBe('ticket-1')
    rerender(tree('hidden'))
    rerender(tree('visible'))
    expect(mfa.challenge?.ticket).toBe('ticket-1')
  })

  it('Should drive a form through React 19 actions', async () => {
    function LoginForm() {
      const { challenge: pending, login, complete } = useMfa()
      const submit = async (form: FormData) => {
        if (pending) await complete({ method: 'totp', code: form.get('code') as string })
        else await login({ username: form.get('username') as string, password: 'carol-pw' })
      }
      return (
        <form action={submit}>
          {pending ? (
            <input key="code" name="code" aria-label="code" defaultValue="123456" />
          ) : (
            <input key="username" name="username" aria-label="username" defaultValue="carol" />
          )}
          <button>Continue</button>
        </form>
      )
    }
    render(<LoginForm />, { wrapper })
    act(() => screen.getByRole('button').click())
    await waitFor(() => expect(screen.getByLabelText('code')).toBeDefined())
    act(() => screen.getByRole('button').click())
    await waitFor(() => expect(client.store.getState().status).toBe('authenticated'))
    expect(proofs).toEqual([{ method: 'totp', code: '123456' }])
  })
})
