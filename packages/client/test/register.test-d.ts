/**
 * `Register` declares the user type once, and every default follows. The augmentation below
 * applies to this package's whole type-check, so the harness's users match it.
 */
import {
  createSessionClient,
  type Register,
  type RegisteredUser,
  type SessionClient,
  type SessionState,
  type SessionUser,
} from '@baton/client'
import { describe, expectTypeOf, it } from 'vitest'
import type { UserOf } from '../src/register.js'

interface User extends SessionUser {
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

  it('an explicit type argument still wins', () => {
    type Admin = User & { admin: true }
    expectTypeOf(createSessionClient<Admin>().store.getState().user).toEqualTypeOf<Admin | null>()
  })

  it('falls back on SessionUser when nothing is declared', () => {
    expectTypeOf<UserOf<object>>().toEqualTypeOf<SessionUser>()
    expectTypeOf<UserOf<Register>>().toEqualTypeOf<User>()
  })

  it('any client fits where the widest one is expected (context values, helpers)', () => {
    expectTypeOf<SessionClient<User>>().toExtend<SessionClient<SessionUser>>()
  })
})
