/**
 * The browser side a stranger writes from the README: the vanilla client with ky from the
 * subpaths, and the React binding with a registered user type. Typechecked only.
 */
import { createSessionClient, isBatonError, type SessionState } from '@baton/client'
import { createKy } from '@baton/client/ky'
import {
  SessionProvider,
  createSessionClient as createReactSessionClient,
  useSession,
  type SessionClient,
} from '@baton/react'
import { HTTPError, createKy as createReactKy } from '@baton/react/ky'

interface User {
  id: string
  name: string
  email: string
}

declare module '@baton/react' {
  interface Register {
    user: User
  }
}

export const baton: SessionClient = createReactSessionClient({ baseUrl: '/api/auth' })
export const api = createReactKy(baton, { prefixUrl: '/api' })

export async function signIn(username: string, password: string): Promise<string> {
  try {
    const user = await baton.login({ username, password })
    return user.email // typed through Register
  } catch (error) {
    if (isBatonError(error)) {
      switch (error.code) {
        case 'invalid_credentials':
          return 'wrong password'
        case 'session_expired':
          return `expired: ${error.reason}`
        default:
          return error.message
      }
    }
    if (error instanceof HTTPError) return `HTTP ${error.response.status}`
    throw error
  }
}

export function Header() {
  const { status, user, logout } = useSession()
  if (status === 'loading') return <p>Loading…</p>
  if (status === 'unauthenticated') return <p>Signed out</p>
  const email: string | undefined = user?.email
  return (
    <button type="button" onClick={() => void logout()}>
      Sign out {user?.name} ({email})
    </button>
  )
}

export function App() {
  return (
    <SessionProvider client={baton}>
      <Header />
    </SessionProvider>
  )
}

// The vanilla client, without React, and its ky instance.
const vanilla = createSessionClient({ baseUrl: '/api/auth', refreshMargin: '10s' })
const vanillaApi = createKy(vanilla, { prefixUrl: '/api', timeout: 5_000 })
export const unsubscribe = vanilla.store.subscribe((state: SessionState) => {
  if (state.status === 'authenticated') void vanillaApi.get('me').json<{ id: string }>()
})
