/**
 * `Register` declares the user type once, and every default follows. The augmentation below
 * applies to this package's whole type-check, so the harness's users match it.
 */
import {
  createSessionClient,
  type BaseUser,
  type PasskeyAssertion,
  type Register,
  type RegisteredUser,
  type SessionClient,
  type ReauthenticateCredentials,
  type SessionState,
  type SessionUser,
  type StepUpChallenge,
} from '@baton/client'
import { describe, expectTypeOf, it } from 'vitest'
import type { UserOf } from '../src/register.js'

/** A plain `interface`, with no index signature: what an app writes (issue 19, TS2344). */
interface User {
  id: string
  name: string
}

declare module '@baton/client' {
  interface Register {
    user: User
  }
}

describe('Register', () => {
  it('types the user everywhere once declared', () => {
    expectTypeOf<RegisteredUser>().toEqualTypeOf<User>()
    const client = createSessionClient()
    expectTypeOf(client).toEqualTypeOf<SessionClient<User>>()
    expectTypeOf(client.store.getState().user).toEqualTypeOf<User | null>()
    expectTypeOf<SessionClient<User>['login']>().returns.resolves.toEqualTypeOf<User>()
    expectTypeOf<SessionState['user']>().toEqualTypeOf<User | null>()
  })

  it('exposes the step-up: its state, reauthenticate and cancelStepUp', () => {
    const client = createSessionClient()
    expectTypeOf(client.store.getState().stepUp).toEqualTypeOf<StepUpChallenge | null>()
    expectTypeOf<StepUpChallenge>().toEqualTypeOf<{ maxAge?: number; acrValues?: string[] }>()
    expectTypeOf(client.reauthenticate).parameters.toEqualTypeOf<[ReauthenticateCredentials]>()
    expectTypeOf(client.reauthenticate).returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf(client.cancelStepUp).toEqualTypeOf<() => void>()
    expectTypeOf<(typeof client.sessions)['revokeOthers']>().returns.toEqualTypeOf<Promise<void>>()
    expectTypeOf<ReauthenticateCredentials>().toEqualTypeOf<
      | { username: string; password: string }
      | { method: 'totp'; code: string }
      | { method: 'passkey'; assertion: PasskeyAssertion }
    >()
  })

  it('an explicit type argument still wins', () => {
    type Admin = User & { admin: true }
    expectTypeOf(createSessionClient<Admin>().store.getState().user).toEqualTypeOf<Admin | null>()
  })

  it('falls back on SessionUser when nothing is declared', () => {
    expectTypeOf<UserOf<object>>().toEqualTypeOf<SessionUser>()
    expectTypeOf<UserOf<Register>>().toEqualTypeOf<User>()
  })

  it('an interface user without an index signature is a user type (no TS2344)', () => {
    interface Member {
      id: string
      email: string
    }
    expectTypeOf(createSessionClient<Member>().store.getState().user).toEqualTypeOf<Member | null>()
    expectTypeOf<SessionClient<Member>['login']>().returns.resolves.toEqualTypeOf<Member>()
    expectTypeOf<SessionState<Member>['user']>().toEqualTypeOf<Member | null>()
    expectTypeOf<UserOf<{ user: Member }>>().toEqualTypeOf<Member>()
    // @ts-expect-error A user type needs a string `id`.
    createSessionClient<{ name: string }>()
  })

  it('any client fits where the widest one is expected (context values, helpers)', () => {
    expectTypeOf<SessionClient<User>>().toExtend<SessionClient<BaseUser>>()
    expectTypeOf<SessionClient<SessionUser>>().toExtend<SessionClient<BaseUser>>()
  })
})
