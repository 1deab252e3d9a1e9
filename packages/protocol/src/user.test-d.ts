import { describe, expectTypeOf, it } from 'vitest'
import type { BaseUser, GrantBody, SessionUser, TabGrant, TabMessage } from './index.js'

/** What an application writes: an interface, which has no implicit index signature. */
interface User {
  id: string
  name: string
}

describe('issue 19: an application’s `interface User` is a user type', () => {
  it('fits every user type parameter (no TS2344)', () => {
    expectTypeOf<GrantBody<User>['user']>().toEqualTypeOf<User>()
    expectTypeOf<TabGrant<User>['user']>().toEqualTypeOf<User>()
    expectTypeOf<
      Extract<TabMessage<User>, { type: 'grant' }>['grant']['user']
    >().toEqualTypeOf<User>()
  })

  it('still needs a string id', () => {
    // @ts-expect-error: a user without an id is not a user
    expectTypeOf<GrantBody<{ name: string }>>().not.toBeNever()
    // @ts-expect-error: the id is a string (it becomes the token's `sub`)
    expectTypeOf<GrantBody<{ id: number }>>().not.toBeNever()
  })

  it('keeps SessionUser as the default, and as a BaseUser', () => {
    expectTypeOf<GrantBody['user']>().toEqualTypeOf<SessionUser>()
    expectTypeOf<TabGrant['user']>().toEqualTypeOf<SessionUser>()
    expectTypeOf<SessionUser>().toExtend<BaseUser>()
    expectTypeOf<User>().toExtend<BaseUser>()
    // Why the constraint had to change: an interface is no SessionUser.
    expectTypeOf<User>().not.toExtend<SessionUser>()
  })
})
