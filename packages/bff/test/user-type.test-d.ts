import { Hono, type Handler } from 'hono'
import { describe, expectTypeOf, it } from 'vitest'
import {
  createBff,
  type BaseUser,
  type Bff,
  type Authenticate,
  type BffOptions,
  type RequireAuthVariables,
  type SessionInfo,
  type SessionUser,
} from '../src/index.js'

/** What an application writes: an interface, which has no implicit index signature. */
interface User {
  id: string
  name: string
}

declare const users: { find(username: string): Promise<User | null> }

describe('issue 19: an application’s `interface User` is the BFF’s user type', () => {
  it('takes an authenticate resolving to it, and hands it back to validateSession', () => {
    const bff = createBff({
      authenticate: ({ username }) => users.find(username),
      validateSession: (session) => {
        expectTypeOf(session.user).toEqualTypeOf<User>()
        return session.user.name !== ''
      },
    })

    expectTypeOf(bff).toEqualTypeOf<Bff>()
  })

  it('fits BffOptions and SessionInfo explicitly (no TS2344)', () => {
    expectTypeOf<Authenticate<User>>().returns.resolves.toEqualTypeOf<User | null>()
    // Optional since `oidc` alone may sign users in; when given it is exactly `Authenticate`.
    expectTypeOf<BffOptions<User>['authenticate']>().toEqualTypeOf<Authenticate<User> | undefined>()
    expectTypeOf<SessionInfo<User>['user']>().toEqualTypeOf<User>()
  })

  it('keeps SessionUser as the default', () => {
    expectTypeOf<Authenticate>().returns.resolves.toEqualTypeOf<SessionUser | null>()
    expectTypeOf<SessionInfo['user']>().toEqualTypeOf<SessionUser>()
    expectTypeOf<SessionUser>().toExtend<BaseUser>()
  })

  it('still needs a user with a string id', () => {
    // @ts-expect-error: a user without an id cannot be a token's `sub`
    createBff({ authenticate: () => Promise.resolve({ name: 'Alice' }) })
    // @ts-expect-error: the id is a string
    createBff({ authenticate: () => Promise.resolve({ id: 7 }) })
  })
})

declare const transfer: Handler

describe('README snippets, as an application copies them', () => {
  it('"Step-up and session policy": c.var.authTime, amr and acr on the app it declares', () => {
    // Review finding: the snippet read `c.var.authTime/amr/acr` on the README's plain
    // `new Hono()`, which has no such variables (TS2339); it now declares its app with
    // `RequireAuthVariables`, as `Bff.requireAuth`'s TSDoc does. Keep this in step with the README.
    const bff = createBff({ authenticate: async () => null })
    const app = new Hono<{ Variables: RequireAuthVariables }>()
    app.use('/api/*', bff.requireAuth())
    app.post('/api/transfer', bff.requireAuth({ maxAge: '5m' }), transfer)
    app.get('/api/me', (c) => {
      expectTypeOf(c.var.authTime).toEqualTypeOf<number | null>()
      return c.json({ authTime: c.var.authTime, amr: c.var.amr, acr: c.var.acr })
    })
  })
})
