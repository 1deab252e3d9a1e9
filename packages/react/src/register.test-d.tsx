import type * as Client from '@baton/client'
import { expectTypeOf, test } from 'vitest'
import type { TestUser } from '../test/register'
import {
  SessionProvider,
  createSessionClient,
  isBatonError,
  useBatonClient,
  useSession,
  useSessionState,
  type DpopKeyStore,
  type ReauthenticateCredentials,
  type RegisteredUser,
  type SessionClient,
  type SessionEndReason,
  type SessionState,
  type SessionSummary,
  type StepUpChallenge,
  type SubclassCode,
  type UseSessionResult,
} from './index'

interface Admin {
  id: string
  name: string
  roles: string[]
}

/** Not a `TestUser`: it has no `name`. */
interface Robot {
  id: string
  serial: number
}

test('the user type registered through @baton/react types every hook', () => {
  expectTypeOf<RegisteredUser>().toEqualTypeOf<TestUser>()
  expectTypeOf(useSession().user).toEqualTypeOf<TestUser | null>()
  expectTypeOf(useSessionState((state) => state.user)).toEqualTypeOf<TestUser | null>()
  useSessionState((state) => expectTypeOf(state).toEqualTypeOf<SessionState<TestUser>>())
  expectTypeOf(useBatonClient()).toEqualTypeOf<SessionClient<TestUser>>()
  expectTypeOf(useSession().login).returns.resolves.toEqualTypeOf<TestUser>()
  expectTypeOf(createSessionClient()).toEqualTypeOf<SessionClient<TestUser>>()
})

test('an interface user (no index signature) types the hooks, as a type alias does', () => {
  interface Member {
    id: string
    email: string
  }
  type MemberAlias = { id: string; email: string }
  expectTypeOf(useSession<Member>().user).toEqualTypeOf<Member | null>()
  expectTypeOf(useSession<Member>().login).returns.resolves.toEqualTypeOf<Member>()
  expectTypeOf(useSession<MemberAlias>().user).toEqualTypeOf<MemberAlias | null>()
  expectTypeOf(useBatonClient<Member>()).toEqualTypeOf<SessionClient<Member>>()
  expectTypeOf<UseSessionResult<Member>['user']>().toEqualTypeOf<Member | null>()
  // @ts-expect-error A user type needs a string `id`.
  useSession<{ email: string }>()
})

test('an explicit user type still wins, for an app that does not register one', () => {
  expectTypeOf(useSession<Admin>().user).toEqualTypeOf<Admin | null>()
  expectTypeOf(
    useSessionState((state: SessionState<Admin>) => state.user),
  ).toEqualTypeOf<Admin | null>()
  expectTypeOf(useBatonClient<Admin>()).toEqualTypeOf<SessionClient<Admin>>()
})

test('SessionProvider takes a client of the registered user type, and no other', () => {
  void (<SessionProvider client={createSessionClient()} />)
  // A client of a narrower user type is one of the registered type too (it only hands users out).
  void (<SessionProvider client={createSessionClient<Admin>()} />)
  // @ts-expect-error The client's user type is not the registered one.
  void (<SessionProvider client={createSessionClient<Robot>()} />)
})

test('UseSessionResult is the store state plus seven client functions, nothing re-declared', () => {
  type Functions =
    | 'login'
    | 'loginWithRedirect'
    | 'logout'
    | 'fetch'
    | 'sessions'
    | 'reauthenticate'
    | 'cancelStepUp'
  expectTypeOf<UseSessionResult>().toEqualTypeOf<
    SessionState<TestUser> & Pick<SessionClient<TestUser>, Functions>
  >()
  expectTypeOf<keyof UseSessionResult>().toEqualTypeOf<keyof SessionState | Functions>()
  expectTypeOf(useSession().stepUp).toEqualTypeOf<StepUpChallenge | null>()
  expectTypeOf(useSession().reauthenticate).parameters.toEqualTypeOf<[ReauthenticateCredentials]>()
  expectTypeOf(useSession().cancelStepUp).toEqualTypeOf<() => void>()
  expectTypeOf(useSession().tokenLifetime).toEqualTypeOf<number | null>()
  expectTypeOf<UseSessionResult['sessions']['list']>().returns.resolves.toEqualTypeOf<
    SessionSummary[]
  >()
})

test('isBatonError narrows to the union, so a switch on code reaches the subclass fields', () => {
  const error: unknown = new Error('?')
  if (isBatonError(error)) {
    switch (error.code) {
      case 'session_expired':
        expectTypeOf(error.reason).toEqualTypeOf<SessionEndReason>()
        break
      default:
        expectTypeOf(error.serverCode).toEqualTypeOf<string | undefined>()
    }
  }
})

test('the public types of @baton/client are re-exported, the very same', () => {
  // Review finding: index.ts mirrors @baton/client's index but left out `DpopKeyStore` (the type of
  // `ClientAdapters.dpopKeys`' store) and `SubclassCode`, so an app on @baton/react alone could
  // not name them. Values are checked at run time by index.test.ts; types can only be named here.
  expectTypeOf<DpopKeyStore>().toEqualTypeOf<Client.DpopKeyStore>()
  expectTypeOf<SubclassCode>().toEqualTypeOf<Client.SubclassCode>()
})
