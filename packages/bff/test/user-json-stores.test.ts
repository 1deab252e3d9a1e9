/**
 * The user `authenticate` returns is stored as JSON by SQLite, Redis and PostgreSQL, and was
 * structured-cloned by the memory store: a `Date` came back a `Date` from one and a string from
 * the others, an `undefined` property stayed or went, a `BigInt` passed on memory and was `503
 * store_unavailable` elsewhere. Now a user that is not JSON all through is the application's bug
 * (`500 internal`, the `TypeError` logged, as for a bad id) on every store, and a JSON user comes
 * back the same from every one.
 */
import { describe, expect, it } from 'vitest'
import type { SessionUser } from '@baton/protocol'
import { everyStore } from './every-store.js'
import { createHarness, CSRF, expectError } from './helpers.js'
import { sessionRecord } from './store-contract.js'

const stores = everyStore()

class Account {
  constructor(readonly id: string) {}
}

const ID = 'user-alice'
const cycle: Record<string, unknown> = { id: ID }
cycle.self = cycle
const holey = new Array<string>(2)
holey[1] = 'b'

/** Users that are not JSON, and where the refusal says they stop being it. */
const NOT_JSON: Array<[string, unknown, string]> = [
  ['a Date', { id: ID, joined: new Date(0) }, 'user.joined is an instance of Date'],
  ['a Map', { id: ID, prefs: new Map([['a', 1]]) }, 'user.prefs is an instance of Map'],
  ['a BigInt', { id: ID, balance: 10n }, 'user.balance is a BigInt'],
  ['a class instance', new Account(ID), 'user is an instance of Account'],
  ['undefined in an array', { id: ID, tags: ['a', undefined] }, 'user.tags[1] is undefined'],
  ['a hole in an array', { id: ID, tags: holey }, 'user.tags[0] is a hole in the array'],
  ['NaN', { id: ID, org: { score: NaN } }, 'user.org.score is a non-finite number'],
  ['a function', { id: ID, 'display name': () => 'Alice' }, 'user["display name"] is a function'],
  ['a cycle', cycle, 'user.self refers back to an object that contains it'],
]

/** A JSON user, with what JSON leaves of it: `undefined` properties dropped, `-0` as `0`. */
const GIVEN = {
  id: ID,
  name: 'Alice \u0000 \ud800',
  email: undefined,
  score: -0,
  org: { id: 7, roles: ['admin', null, true], parent: undefined },
  empty: {},
  bare: Object.assign(Object.create(null) as object, { a: 1 }),
}
const STORED = {
  id: ID,
  name: 'Alice \u0000 \ud800',
  score: 0,
  org: { id: 7, roles: ['admin', null, true] },
  empty: {},
  bare: { a: 1 },
}

const login = (h: Awaited<ReturnType<typeof createHarness>>) =>
  h.post('/login', {
    headers: { ...CSRF, 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: 'pw' }),
  })

describe.each(stores)('a user returned by authenticate (%s)', (_name, available, make) => {
  it.skipIf(!available).each(NOT_JSON)(
    'that holds %s is 500 internal, logged, and starts no session',
    async (_kind, user, where) => {
      const store = await make()
      const h = await createHarness({ store, authenticate: async () => user as SessionUser })
      const res = await login(h)
      await expectError(res, 500, 'internal')
      expect(h.logger.error).toHaveBeenCalledWith(
        expect.stringContaining('unexpected error'),
        new TypeError(`authenticate must resolve to a user that is plain JSON, but ${where}`),
      )
      expect(await store.listByUser(ID, h.clock.now())).toStrictEqual([])
    },
  )

  it.skipIf(!available)('that is JSON comes back as JSON leaves it', async () => {
    const store = await make()
    const seen: unknown[] = []
    const h = await createHarness({
      store,
      authenticate: async () => GIVEN,
      validateSession: (session) => {
        seen.push(session.user)
        return true
      },
    })
    const res = await login(h)
    expect(res.status).toBe(200)
    const { user, sessionId } = (await res.json()) as { user: unknown; sessionId: string }
    expect(user).toStrictEqual(STORED)
    expect((await store.get(sessionId))?.user).toStrictEqual(STORED)
    const cookie = /^__Host-baton_rt=([^;]+);/.exec(res.headers.getSetCookie()[0]!)![1]!
    const refreshed = await h.refreshOk(cookie)
    expect(refreshed.body.user).toStrictEqual(STORED)
    expect(seen).toStrictEqual([STORED])
  })
})

// The store is public: written to directly, each one keeps what JSON keeps, or refuses.
describe.each(stores)('a user written to the store directly (%s)', (_name, available, make) => {
  const NOW = Date.now()

  it.skipIf(!available)('is read back as JSON leaves it', async () => {
    const store = await make()
    const session = sessionRecord(ID, NOW, {
      user: { ...GIVEN, joined: new Date(0), prefs: new Map(), greet: () => 'hi' },
    })
    await store.create(session, NOW)
    expect((await store.get(session.id))?.user).toStrictEqual({
      ...STORED,
      joined: '1970-01-01T00:00:00.000Z',
      prefs: {},
    })
  })

  it.skipIf(!available)('refuses a BigInt', async () => {
    const store = await make()
    const session = sessionRecord(ID, NOW, { user: { id: ID, balance: 10n } })
    // How each says so is its own (SQLite and Redis as `store_unavailable`): the BFF never gets
    // here, `assertUser` refuses such a user first.
    await expect(store.create(session, NOW)).rejects.toThrow()
    expect(await store.get(session.id)).toBeNull()
  })
})
