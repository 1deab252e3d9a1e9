/**
 * Rate limits through the routes (memory store): credential guessing from one address, the
 * progressive delay that never locks the real user out, per-IP budgets of refresh and logout, the
 * `rate_limited` event, and the cap on concurrent `authenticate` calls.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  createBff,
  memoryStore,
  type Authenticate,
  type BffOptions,
  type RateLimiterBackend,
  type SessionStore,
} from '../src/index.js'
import type { SessionUser } from '../src/index.js'
import {
  ALICE,
  authenticate,
  BOB,
  CLEARED_COOKIE,
  CLEARED_HINT,
  cookieValue,
  createHarness,
  CSRF,
  passwordOf,
  T0,
  testLogger,
  type Harness,
} from './helpers.js'

const ATTACKER = '203.0.113.9'

/** Lets real I/O (the username hash) and promises run until `check` holds. */
async function until(check: () => boolean) {
  for (let i = 0; i < 1_000 && !check(); i++) await new Promise((r) => setImmediate(r))
  expect(check()).toBe(true)
}
const ALICE_HOME = '198.51.100.7'

/** POST /auth/login as `username` with `password` from the socket address `ip`. */
const attempt = (h: Harness, username: string, password: string, ip?: string) =>
  h.post('/login', {
    ...(ip === undefined ? {} : { ip }),
    headers: { 'content-type': 'application/json', 'user-agent': 'test-agent' },
    body: JSON.stringify({ username, password }),
  })

/** Asserts a `429 rate_limited` answer exactly: header, body and no cookie. */
async function expectLimited(res: Response, retryAfter: number) {
  expect({
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: await res.json(),
  }).toStrictEqual({
    status: 429,
    retryAfter: String(retryAfter),
    body: { error: { code: 'rate_limited', message: expect.any(String), retryAfter } },
  })
}

const MALLORY: SessionUser = { id: 'user-mallory', name: 'Mallory' }

/**
 * A case-sensitive user table, as many applications have: `alice` and `Alice` are two accounts,
 * which the username delay folds onto one budget.
 */
const ACCOUNTS: Record<string, { password: string; user: SessionUser }> = {
  alice: { password: passwordOf('alice'), user: ALICE },
  bob: { password: passwordOf('bob'), user: BOB },
  Alice: { password: 'mallory-owns-this', user: MALLORY },
}
const caseSensitive: Authenticate = async ({ username, password }) => {
  const entry = ACCOUNTS[username]
  return entry && entry.password === password ? entry.user : null
}

beforeEach(() => {
  // The counters follow the real clock (Date.now); only Date is faked, so nothing else stalls.
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(T0)
})
afterEach(() => {
  vi.useRealTimers()
})

describe('credential guessing from one address', () => {
  it('answers 429 with Retry-After after the configured count, and the real user still signs in from another address', async () => {
    const h = await createHarness()

    const statuses: number[] = []
    const retryAfters: Array<string | null> = []
    for (let i = 0; i < 100; i++) {
      const res = await attempt(h, 'alice', `guess-${i}`, ATTACKER)
      statuses.push(res.status)
      retryAfters.push(res.headers.get('retry-after'))
    }

    // Defaults: 5 attempts per username and network, then a 1s wait; 20 attempts per address
    // and minute, then the address waits out the minute.
    expect(statuses).toStrictEqual([...Array(5).fill(401), ...Array(95).fill(429)])
    expect(retryAfters).toStrictEqual([
      ...Array(5).fill(null),
      ...Array(15).fill('1'),
      ...Array(80).fill('60'),
    ])
    const real = await attempt(h, 'alice', passwordOf('alice'), ALICE_HOME)
    expect(real.status).toBe(200)
    expect(h.eventsOf('login')).toHaveLength(1)
    expect(h.eventsOf('login_failed')).toHaveLength(5)
  })

  it('doubles the wait after each further attempt, up to maxDelay, and a correct password resets it', async () => {
    const h = await createHarness({
      rateLimit: {
        login: false,
        username: { points: 3, duration: '1h', delay: '2s', maxDelay: '5s' },
      },
    })
    const wrong = () => attempt(h, 'alice', 'nope', ATTACKER)
    for (let i = 0; i < 3; i++) expect((await wrong()).status).toBe(401)

    await expectLimited(await wrong(), 2)
    vi.advanceTimersByTime(2_000)
    expect((await wrong()).status).toBe(401)
    await expectLimited(await wrong(), 4)
    vi.advanceTimersByTime(4_000)
    expect((await wrong()).status).toBe(401)
    await expectLimited(await wrong(), 5) // capped
    vi.advanceTimersByTime(5_000)

    // The owner, from the attacker's network after the wait: signed in, and the count starts over.
    expect((await attempt(h, 'alice', passwordOf('alice'), '203.0.113.77')).status).toBe(200)
    for (let i = 0; i < 3; i++) expect((await wrong()).status).toBe(401)
    await expectLimited(await wrong(), 2)
  })

  it('lets a correct password forgive only the failures made under the exact username typed', async () => {
    const h = await createHarness({
      authenticate: caseSensitive,
      rateLimit: { login: false, username: { points: 2, delay: '60s', maxDelay: '60s' } },
    })
    expect((await attempt(h, 'alice', 'guess-1', ATTACKER)).status).toBe(401)
    // The second attempt on the folded name opens the 60 s window: Mallory's own account
    // `Alice`, with its right password, from the same network.
    expect((await attempt(h, 'Alice', 'mallory-owns-this', ATTACKER)).status).toBe(200)
    // Her sign-in forgave her own attempt, not the guess at `alice`: the window stays open.
    await expectLimited(await attempt(h, 'alice', 'guess-2', ATTACKER), 60)

    // The owner, from that network once the window is over: signed in, every failure of the
    // name forgiven, and the count starts over.
    vi.advanceTimersByTime(60_000)
    expect((await attempt(h, 'alice', passwordOf('alice'), ATTACKER)).status).toBe(200)
    expect((await attempt(h, 'alice', 'guess-3', ATTACKER)).status).toBe(401)
    expect((await attempt(h, 'alice', 'guess-4', ATTACKER)).status).toBe(401)
    await expectLimited(await attempt(h, 'alice', 'guess-5', ATTACKER), 60)
  })

  it('forgives the failures of a name once, however many sign-ins to it succeed at once on several instances', async () => {
    const waiting: Array<() => void> = []
    const gated: Authenticate = async (credentials, c) => {
      await new Promise<void>((resolve) => waiting.push(resolve))
      return caseSensitive(credentials, c)
    }
    // Two BFFs counting in one store: each settles its own sign-ins in turn, not the other's.
    const store = memoryStore({ sweepInterval: 0 })
    const options = {
      store,
      authenticate: gated,
      rateLimit: { login: false, username: { points: 6, delay: '60s', maxDelay: '60s' } },
    } as const
    const [h, other] = [await createHarness(options), await createHarness(options)]
    const guess = (i: number) => attempt(h, 'alice', `guess-${i}`, ATTACKER)
    const first = guess(0)
    await until(() => waiting.length === 1)
    waiting.shift()!()
    expect((await first).status).toBe(401)

    // Three sign-ins to Mallory's own `Alice`, all counted before any is checked: each reads the
    // same three attempts of that name, and together they may forgive those three only.
    const burst = [h, other, other].map((bff) =>
      attempt(bff, 'Alice', 'mallory-owns-this', ATTACKER),
    )
    await until(() => waiting.length === 3)
    waiting.splice(0).forEach((release) => release())
    expect((await Promise.all(burst)).map((res) => res.status)).toStrictEqual([200, 200, 200])

    // The guess at `alice` still counts: five more reach the count of six, the sixth waits.
    const statuses: number[] = []
    for (let i = 1; i <= 6; i++) {
      let answered = false
      const pending = guess(i).finally(() => (answered = true))
      await until(() => waiting.length === 1 || answered)
      waiting.shift()?.()
      statuses.push((await pending).status)
    }
    expect(statuses).toStrictEqual([401, 401, 401, 401, 401, 429])
  })

  // Before, a success forgave the attempts still in flight, and one of them refused later (no
  // slot in time) was taken back a second time: each bought Mallory one more guess at `alice`.
  it('takes back an attempt refused after a success of its name only once', async () => {
    const held: Array<() => void> = []
    const holding: Authenticate = async (credentials, c) => {
      if (credentials.password === 'held') await new Promise<void>((r) => held.push(r))
      return caseSensitive(credentials, c)
    }
    const store = memoryStore({ sweepInterval: 0 })
    const options = {
      store,
      authenticate: holding,
      rateLimit: {
        login: false,
        username: { points: 4, delay: '60s', maxDelay: '60s' },
        concurrency: { max: 1, queue: 1, maxWait: '1s' },
      },
    } as const
    const [h, other] = [await createHarness(options), await createHarness(options)]

    // `h`'s one slot is busy with a guess at Mallory's `Alice`; a second waits for it.
    const busy = attempt(h, 'Alice', 'held', ATTACKER)
    await until(() => held.length === 1)
    let refused = false
    const queued = attempt(h, 'Alice', 'queued', ATTACKER).finally(() => (refused = true))
    await new Promise((resolve) => setTimeout(resolve, 100))
    // Mallory signs in to `Alice` on the other instance while both are in flight.
    expect((await attempt(other, 'Alice', 'mallory-owns-this', ATTACKER)).status).toBe(200)
    expect(refused).toBe(false)
    await expectLimited(await queued, 1)
    held.shift()!()
    expect((await busy).status).toBe(401)

    // The held guess counts against the folded name, the refused one and the success not at
    // all: the third guess at `alice` reaches the budget of four and opens the wait.
    const guesses: number[] = []
    for (let i = 0; i < 4; i++) guesses.push((await attempt(h, 'alice', `g${i}`, ATTACKER)).status)
    expect(guesses).toStrictEqual([401, 401, 401, 429])
  })

  // Before, the exact name's count expired on its own clock, up to a whole window after the
  // folded count it belongs to: a success in the next window forgave that window's guesses.
  it("never forgives failures of a window that is over, in the next window's count", async () => {
    const h = await createHarness({
      authenticate: caseSensitive,
      rateLimit: { login: false, username: { points: 4, duration: '60s', delay: '60s' } },
    })
    expect((await attempt(h, 'alice', 'guess-0', ATTACKER)).status).toBe(401)
    vi.advanceTimersByTime(50_000)
    // Mallory's own `Alice`, a wrong password late in the window.
    expect((await attempt(h, 'Alice', 'typo', ATTACKER)).status).toBe(401)
    vi.advanceTimersByTime(11_000)

    // A new window: two guesses at `alice`, then Mallory's right password for `Alice`.
    for (let i = 1; i <= 2; i++) {
      expect((await attempt(h, 'alice', `guess-${i}`, ATTACKER)).status).toBe(401)
    }
    expect((await attempt(h, 'Alice', 'mallory-owns-this', ATTACKER)).status).toBe(200)
    // Her sign-in forgave itself and nothing of this window: the fourth guess opens the wait.
    expect((await attempt(h, 'alice', 'guess-3', ATTACKER)).status).toBe(401)
    expect((await attempt(h, 'alice', 'guess-4', ATTACKER)).status).toBe(401)
    await expectLimited(await attempt(h, 'alice', 'guess-5', ATTACKER), 60)
  })

  // Before, a sign-in always took its own attempt off the folded count: one counted in a window
  // and settled in the next took it off the next window's guesses, one more for each.
  it("takes a sign-in's own attempt off the window it was counted in, not the next one", async () => {
    const held: Array<() => void> = []
    const holding: Authenticate = async (credentials, c) => {
      if (credentials.password === 'mallory-owns-this') await new Promise<void>((r) => held.push(r))
      return caseSensitive(credentials, c)
    }
    const h = await createHarness({
      authenticate: holding,
      rateLimit: { login: false, username: { points: 4, duration: '60s', delay: '60s' } },
    })
    // Mallory's right password for her own `Alice`, checked across the end of the window.
    const signIn = attempt(h, 'Alice', 'mallory-owns-this', ATTACKER)
    await until(() => held.length === 1)
    vi.advanceTimersByTime(61_000)
    const statuses: number[] = []
    for (let i = 1; i <= 3; i++)
      statuses.push((await attempt(h, 'alice', `g${i}`, ATTACKER)).status)
    held.shift()!()
    expect((await signIn).status).toBe(200)
    // The new window holds three guesses at `alice`: the fourth opens the wait, the fifth waits.
    for (let i = 4; i <= 5; i++)
      statuses.push((await attempt(h, 'alice', `g${i}`, ATTACKER)).status)
    expect(statuses).toStrictEqual([401, 401, 401, 401, 429])
  })

  // Before, an attempt whose `authenticate` threw (500 `internal`) was always taken back: one counted in a window
  // and failing in the next took a guess off the next window's count, one more guess for each.
  it('takes back an attempt that checked no password only from the window it was counted in', async () => {
    const held: Array<() => void> = []
    const failing: Authenticate = async (credentials, c) => {
      if (credentials.password === 'directory-down') {
        await new Promise<void>((r) => held.push(r))
        throw new Error('the user directory is down')
      }
      return caseSensitive(credentials, c)
    }
    const h = await createHarness({
      authenticate: failing,
      logger: testLogger(),
      rateLimit: { login: false, username: { points: 4, duration: '60s', delay: '60s' } },
    })
    const broken = attempt(h, 'alice', 'directory-down', ATTACKER)
    await until(() => held.length === 1)
    vi.advanceTimersByTime(61_000)
    const statuses: number[] = []
    for (let i = 1; i <= 3; i++)
      statuses.push((await attempt(h, 'alice', `g${i}`, ATTACKER)).status)
    held.shift()!()
    statuses.push((await broken).status)
    // The new window holds three guesses: the fourth opens the wait, the fifth waits.
    for (let i = 4; i <= 5; i++)
      statuses.push((await attempt(h, 'alice', `g${i}`, ATTACKER)).status)
    expect(statuses).toStrictEqual([401, 401, 401, 500, 401, 429])
  })

  // Before, a success that brought the folded count to zero deleted it: a guess another instance
  // counted between the decrement and the delete was deleted with it, one more guess for each.
  it('keeps a guess counted on another instance while a success spends the count', async () => {
    const store = memoryStore({ sweepInterval: 0 })
    const backend = store.rateLimiterBackend!()
    let hold: Promise<void> | null = null
    let spent!: () => void
    const spending = new Promise<void>((resolve) => (spent = resolve))
    const held: RateLimiterBackend = {
      ...backend,
      limiter(spec) {
        const limiter = backend.limiter(spec)
        if (spec.keyPrefix !== 'user:n') return limiter
        const reward = limiter.reward.bind(limiter)
        // The success's decrement has landed; what it does next waits.
        limiter.reward = async (...args) => {
          const res = await reward(...args)
          if (hold) {
            spent()
            await hold
          }
          return res
        }
        return limiter
      },
    }
    const options = {
      store: Object.assign(Object.create(store) as SessionStore, {
        rateLimiterBackend: () => held,
      }),
      authenticate: caseSensitive,
      rateLimit: { login: false, username: { points: 4, delay: '60s', maxDelay: '60s' } },
    } as const
    const [h, other] = [await createHarness(options), await createHarness(options)]

    let release!: () => void
    hold = new Promise<void>((resolve) => (release = resolve))
    // Mallory's sign-in to her own `Alice` brings the folded count back to zero…
    const signIn = attempt(h, 'Alice', 'mallory-owns-this', ATTACKER)
    await spending
    hold = null
    // …while her guess at `alice` is counted on the other instance.
    expect((await attempt(other, 'alice', 'g0', ATTACKER)).status).toBe(401)
    release()
    expect((await signIn).status).toBe(200)

    // The guess still counts: the fourth reaches the budget of four and opens the wait.
    const guesses: number[] = []
    for (let i = 1; i <= 4; i++) guesses.push((await attempt(h, 'alice', `g${i}`, ATTACKER)).status)
    expect(guesses).toStrictEqual([401, 401, 401, 429])
  })

  it('does not lengthen the wait for attempts refused during it', async () => {
    const h = await createHarness({
      rateLimit: { login: false, username: { points: 1, delay: '1s' } },
    })
    expect((await attempt(h, 'alice', 'nope', ATTACKER)).status).toBe(401)
    for (let i = 0; i < 50; i++) await expectLimited(await attempt(h, 'alice', 'x', ATTACKER), 1)

    vi.advanceTimersByTime(1_000)
    expect((await attempt(h, 'alice', 'nope', ATTACKER)).status).toBe(401)
    await expectLimited(await attempt(h, 'alice', 'nope', ATTACKER), 2)
  })

  it('counts one budget per username whatever its case, and per network (IPv4 /24)', async () => {
    const h = await createHarness({ rateLimit: { login: false, username: { points: 2 } } })
    expect((await attempt(h, 'Alice', 'a', '203.0.113.1')).status).toBe(401)
    expect((await attempt(h, 'ALICE', 'b', '203.0.113.200')).status).toBe(401)
    await expectLimited(await attempt(h, 'alice', 'c', '203.0.113.3'), 1)
    expect((await attempt(h, 'bob', 'd', '203.0.113.3')).status).toBe(401)
    expect((await attempt(h, 'alice', 'e', '203.0.114.3')).status).toBe(401)
  })

  it('counts one budget per username whatever whitespace surrounds it, for an authenticate that trims', async () => {
    // What many sign-in forms do: the same account whatever spaces were typed around its name.
    const trimming: Authenticate = (credentials, c) =>
      authenticate({ ...credentials, username: credentials.username.trim() }, c)
    const h = await createHarness({
      authenticate: trimming,
      rateLimit: { login: false, username: { points: 2 } },
    })
    expect((await attempt(h, 'alice', 'a', ATTACKER)).status).toBe(401)
    expect((await attempt(h, ' alice', 'b', ATTACKER)).status).toBe(401)
    await expectLimited(await attempt(h, 'alice\t ', 'c', ATTACKER), 1)
    await expectLimited(await attempt(h, '\u00a0alice', 'd', ATTACKER), 1)
    expect((await attempt(h, 'alice', passwordOf('alice'), ALICE_HOME)).status).toBe(200)
  })

  it('counts one budget per username whatever invisible characters or accents it carries, for an authenticate that compares by collation', async () => {
    // What Intl.Collator (and a database's accent-insensitive collation) does: soft hyphens and
    // zero-width spaces do not count, nor do accents.
    const collator = new Intl.Collator('en', { sensitivity: 'base' })
    const collating: Authenticate = (credentials, c) => {
      const known = ['alice', 'bob'].find(
        (name) => collator.compare(name, credentials.username) === 0,
      )
      return authenticate({ ...credentials, username: known ?? credentials.username }, c)
    }
    const h = await createHarness({
      authenticate: collating,
      rateLimit: { login: false, username: { points: 2, delay: '60s', maxDelay: '60s' } },
    })
    expect((await attempt(h, 'alice', 'a', ATTACKER)).status).toBe(401)
    expect((await attempt(h, 'alice', 'b', ATTACKER)).status).toBe(401)
    // Before: each variant had a budget of its own, and its password was checked during the wait.
    for (const variant of ['al\u00adice', 'alice\u200b', 'a\u200blice', 'alicé', 'ÁLICE']) {
      await expectLimited(await attempt(h, variant, passwordOf('alice'), ATTACKER), 60)
    }
    expect((await attempt(h, 'bob', 'c', ATTACKER)).status).toBe(401)
  })

  it('charges one IPv6 /64 as one address, and an IPv4-mapped address as its IPv4', async () => {
    const h = await createHarness({ rateLimit: { username: false, login: { points: 2 } } })
    expect((await attempt(h, 'alice', 'a', '2001:db8:1:2::1')).status).toBe(401)
    expect((await attempt(h, 'bob', 'b', '2001:db8:1:2:ffff::9')).status).toBe(401)
    await expectLimited(await attempt(h, 'carol', 'c', '2001:db8:1:2:0:0:0:77'), 60)
    expect((await attempt(h, 'alice', 'd', '2001:db8:1:3::1')).status).toBe(401)

    expect((await attempt(h, 'alice', 'a', '192.0.2.1')).status).toBe(401)
    expect((await attempt(h, 'alice', 'b', '::ffff:192.0.2.1')).status).toBe(401)
    await expectLimited(await attempt(h, 'alice', 'c', '192.0.2.1'), 60)
  })

  it('gives a successful sign-in its per-address point back', async () => {
    const h = await createHarness({ rateLimit: { username: false, login: { points: 2 } } })
    for (let i = 0; i < 10; i++) {
      expect((await attempt(h, 'alice', passwordOf('alice'), ATTACKER)).status).toBe(200)
    }
    expect((await attempt(h, 'alice', 'nope', ATTACKER)).status).toBe(401)
    expect((await attempt(h, 'alice', 'nope', ATTACKER)).status).toBe(401)
    await expectLimited(await attempt(h, 'alice', passwordOf('alice'), ATTACKER), 60)
  })

  it('charges no address when none is known, and still delays the username', async () => {
    const h = await createHarness({ rateLimit: { login: { points: 1 }, username: { points: 3 } } })
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await attempt(h, 'alice', 'nope')).status)
    expect(statuses).toStrictEqual([401, 401, 401, 429, 429])
    expect(h.eventsOf('rate_limited').map((e) => [e.key, e.ip])).toStrictEqual([
      ['username', null],
      ['username', null],
    ])
  })

  it('says once, through logger.warn, that requests come with no address', async () => {
    const h = await createHarness()
    await attempt(h, 'alice', 'nope')
    await attempt(h, 'bob', passwordOf('bob'))

    expect(h.logger.warn.mock.calls).toStrictEqual([
      [
        '[baton] rate limits: a request came with no client address (clientIp answered null), ' +
          'so per-address budgets are skipped and every client shares one delay per username: ' +
          "anyone can hold back a user's sign-in. On Bun, Deno or Workers pass createBff({ " +
          "clientIp }) (hono's getConnInfo); behind a proxy, trustProxy.",
      ],
    ])
  })

  it('stays silent when every request has an address', async () => {
    const h = await createHarness()
    await attempt(h, 'alice', 'nope', ATTACKER)
    await attempt(h, 'bob', passwordOf('bob'), '203.0.113.50')

    expect(h.logger.warn).not.toHaveBeenCalled()
  })

  it('lets every guess through with rateLimit: false', async () => {
    const h = await createHarness({ rateLimit: false })
    const statuses = new Set<number>()
    for (let i = 0; i < 100; i++) statuses.add((await attempt(h, 'alice', 'no', ATTACKER)).status)
    expect([...statuses]).toStrictEqual([401])
  })
})

describe('the rate_limited event', () => {
  it('names the route, the budget and the wait, and never the password', async () => {
    const h = await createHarness({ rateLimit: { login: { points: 1 }, username: { points: 1 } } })
    await attempt(h, 'alice', 'secret-guess-1', ATTACKER)
    await attempt(h, 'alice', 'secret-guess-2', '203.0.113.50')
    await attempt(h, 'alice', 'secret-guess-3', ATTACKER)

    expect(h.eventsOf('rate_limited')).toStrictEqual([
      {
        type: 'rate_limited',
        route: 'login',
        key: 'username',
        retryAfter: 1,
        username: 'alice',
        at: T0,
        ip: '203.0.113.50',
        userAgent: 'test-agent',
      },
      {
        type: 'rate_limited',
        route: 'login',
        key: 'ip',
        retryAfter: 60,
        username: null,
        at: T0,
        ip: ATTACKER,
        userAgent: 'test-agent',
      },
    ])
    expect(JSON.stringify(h.events)).not.toContain('secret-guess')
  })
})

describe('refresh and logout', () => {
  it('refuses a refresh over the per-address budget with 429 and keeps the cookie', async () => {
    const h = await createHarness({ rateLimit: { refresh: { points: 3, duration: '30s' } } })
    let { cookie } = await h.login('alice', { ip: ALICE_HOME })
    for (let i = 0; i < 3; i++) ({ cookie } = await h.refreshOk(cookie, { ip: ALICE_HOME }))

    const refused = await h.refresh(cookie, { ip: ALICE_HOME })
    expect(refused.headers.getSetCookie()).toStrictEqual([])
    await expectLimited(refused, 30)
    expect(h.eventsOf('rate_limited').map((e) => [e.route, e.key, e.retryAfter])).toStrictEqual([
      ['refresh', 'ip', 30],
    ])

    // Another address has its own budget; this one gets its budget back after the window.
    await h.refreshOk(cookie, { ip: ATTACKER }).then((r) => (cookie = r.cookie))
    vi.advanceTimersByTime(29_000)
    await expectLimited(await h.refresh(cookie, { ip: ALICE_HOME }), 1)
    vi.advanceTimersByTime(1_000)
    await h.refreshOk(cookie, { ip: ALICE_HOME })
  })

  it('refuses a logout over the per-address budget with 429 and still clears the cookies', async () => {
    const h = await createHarness({ rateLimit: { logout: { points: 1, duration: '1m' } } })
    const first = await h.login('alice', { ip: ALICE_HOME })
    const second = await h.login('bob', { ip: ALICE_HOME })
    expect(
      (await h.post('/logout', { ip: ALICE_HOME, headers: cookieOf(first.cookie) })).status,
    ).toBe(204)

    const refused = await h.post('/logout', { ip: ALICE_HOME, headers: cookieOf(second.cookie) })
    expect(refused.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    await expectLimited(refused, 60)
    expect(h.eventsOf('rate_limited').map((e) => [e.route, e.key])).toStrictEqual([
      ['logout', 'ip'],
    ])
    // The session it could not end is reported (before, nothing was): its cookie's copies still
    // refresh, from anywhere, until the operator revokes it.
    expect(h.eventsOf('logout_failed').map((e) => [e.sessionId, e.userId, e.reason])).toStrictEqual(
      [[second.body.sessionId, 'user-bob', 'rate_limited']],
    )
    expect((await h.refresh(second.cookie, { ip: '203.0.113.9' })).status).toBe(200)
  })
})

const cookieOf = (value: string) => ({ cookie: `__Host-baton_rt=${value}` })

describe('trustProxy', () => {
  const spoofed = (h: Harness, i: number, ip = '10.0.0.2') =>
    h.post('/login', {
      ip,
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `192.0.2.${i}` },
      body: JSON.stringify({ username: `user${i}`, password: 'nope' }),
    })

  it('ignores X-Forwarded-For by default: a spoofed header does not evade the per-address budget', async () => {
    const h = await createHarness({ rateLimit: { login: { points: 3 } } })
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await spoofed(h, i)).status)
    expect(statuses).toStrictEqual([401, 401, 401, 429, 429])
    expect(h.eventsOf('rate_limited').map((e) => e.ip)).toStrictEqual(['10.0.0.2', '10.0.0.2'])
  })

  it('believes the last hop with trustProxy: 1, and only it', async () => {
    const h = await createHarness({ trustProxy: 1, rateLimit: { login: { points: 1 } } })
    expect((await spoofed(h, 1)).status).toBe(401)
    expect((await spoofed(h, 2)).status).toBe(401)
    await expectLimited(await spoofed(h, 1), 60)
    expect(h.eventsOf('login_failed').map((e) => e.ip)).toStrictEqual(['192.0.2.1', '192.0.2.2'])

    // A client prepending its own entry gains nothing: the proxy's entry is the one read.
    const forged = await h.post('/login', {
      ip: '10.0.0.2',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '1.2.3.4, 192.0.2.2' },
      body: JSON.stringify({ username: 'x', password: 'nope' }),
    })
    await expectLimited(forged, 60)
  })

  it('walks an allowlist of proxies from the socket leftwards', async () => {
    const h = await createHarness({ trustProxy: ['10.0.0.0/8', '2001:db8::/32'] })
    await h.post('/login', {
      ip: '::ffff:10.1.2.3',
      headers: {
        'content-type': 'application/json',
        'x-forwarded-for': '1.2.3.4, 198.51.100.9, 2001:db8::5, 10.9.9.9',
      },
      body: JSON.stringify({ username: 'alice', password: 'nope' }),
    })
    // From an untrusted peer, the header is not read at all.
    await h.post('/login', {
      ip: '198.51.100.20',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '1.2.3.4' },
      body: JSON.stringify({ username: 'alice', password: 'nope' }),
    })
    expect(h.eventsOf('login_failed').map((e) => e.ip)).toStrictEqual([
      '198.51.100.9',
      '198.51.100.20',
    ])
  })

  it.each([
    [-1, /trustProxy must be false, a hop count/],
    [1.5, /trustProxy must be false, a hop count/],
    ['yes', /trustProxy must be false, a hop count or a list/],
    [['10.0.0.0/33'], /trustProxy entry "10.0.0.0\/33" is not an IP address or a CIDR block/],
    [['proxy.internal'], /trustProxy entry "proxy.internal" is not/],
  ])('refuses trustProxy %j at start-up', (trustProxy, message) => {
    expect(() =>
      createBff({ authenticate, logger: testLogger(), trustProxy } as unknown as BffOptions),
    ).toThrow(new RegExp(`^createBff: ${message.source}`))
  })

  it('refuses clientIp and trustProxy together', () => {
    expect(() =>
      createBff({ authenticate, logger: testLogger(), trustProxy: 1, clientIp: () => null }),
    ).toThrow('createBff: give clientIp or trustProxy, not both')
  })
})

describe('the cap on concurrent authenticate calls', () => {
  function gatedAuthenticate() {
    const waiting: Array<() => void> = []
    const auth: Authenticate = async (credentials, c) => {
      await new Promise<void>((resolve) => waiting.push(resolve))
      return authenticate(credentials, c)
    }
    return { auth, waiting }
  }

  it('runs at most max at once, queues up to queue, and refuses the rest at once with 429', async () => {
    const { auth, waiting } = gatedAuthenticate()
    const h = await createHarness({
      authenticate: auth,
      rateLimit: { concurrency: { max: 2, queue: 1, maxWait: '10s' } },
    })
    const inFlight = [0, 1, 2].map((i) => attempt(h, 'alice', passwordOf('alice'), `192.0.2.${i}`))
    await until(() => waiting.length === 2)

    await expectLimited(await attempt(h, 'bob', passwordOf('bob'), '192.0.2.3'), 1)
    expect(h.eventsOf('rate_limited').map((e) => [e.key, e.username])).toStrictEqual([
      ['concurrency', 'bob'],
    ])
    waiting.shift()!()
    await until(() => waiting.length === 2) // the queued one took the slot
    waiting.splice(0).forEach((release) => release())
    expect((await Promise.all(inFlight)).map((res) => res.status)).toStrictEqual([200, 200, 200])
  })

  it('refuses a sign-in that waited maxWait for a slot', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] })
    vi.setSystemTime(T0)
    const { auth, waiting } = gatedAuthenticate()
    const h = await createHarness({
      authenticate: auth,
      // Only the cap: its wait is then the one fake timer there is to count.
      rateLimit: {
        login: false,
        username: false,
        concurrency: { max: 1, queue: 4, maxWait: '3s' },
      },
    })
    const first = attempt(h, 'alice', passwordOf('alice'), '192.0.2.1')
    await until(() => waiting.length === 1)
    const second = attempt(h, 'bob', passwordOf('bob'), '192.0.2.2')
    await until(() => vi.getTimerCount() === 1)

    await vi.advanceTimersByTimeAsync(2_999)
    expect(waiting).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    await expectLimited(await second, 1)
    waiting[0]!()
    expect((await first).status).toBe(200)
  })
})

describe('rateLimit options', () => {
  it.each([
    ['on', /^createBff: rateLimit must be false or an object$/],
    [
      { login: { points: 0 } },
      /^createBff: rateLimit\.login\.points must be an integer of at least 1, got 0$/,
    ],
    [
      { refresh: { duration: '500ms' } },
      /^createBff: rateLimit\.refresh\.duration must be whole seconds/,
    ],
    [
      { logout: { duration: 'soon' } },
      /^createBff: rateLimit\.logout\.duration must be a duration/,
    ],
    [
      { username: { delay: '10s', maxDelay: '5s' } },
      /^createBff: rateLimit\.username\.maxDelay must be at least/,
    ],
    [{ concurrency: { max: 1.5 } }, /^createBff: rateLimit\.concurrency\.max must be an integer/],
    [{ reauthenticate: 3 }, /^createBff: rateLimit\.reauthenticate must be false or an object/],
  ])('refuses %j at start-up', (rateLimit, message) => {
    expect(() =>
      createBff({ authenticate, logger: testLogger(), rateLimit } as unknown as BffOptions),
    ).toThrow(message)
  })

  it('warns once at start-up when the store cannot hold counters, and counts in the process', async () => {
    const logger = testLogger()
    // A custom store: every SessionStore method, no rateLimiterBackend.
    const store: SessionStore = { ...memoryStore({ sweepInterval: 0 }) }
    delete store.rateLimiterBackend
    const h = await createHarness({ store, logger, rateLimit: { login: { points: 1 } } })
    expect(logger.warn.mock.calls).toStrictEqual([
      [
        expect.stringMatching(
          /^\[baton\] rate limits: the session store has no rateLimiterBackend\(\)/,
        ),
      ],
    ])
    expect((await attempt(h, 'alice', 'no', ATTACKER)).status).toBe(401)
    await expectLimited(await attempt(h, 'alice', 'no', ATTACKER), 60)

    const quiet = testLogger()
    await createHarness({ logger: quiet })
    expect(quiet.warn).not.toHaveBeenCalled()
  })

  it('shares one budget between two BFFs on one memory store', async () => {
    const store = memoryStore({ sweepInterval: 0 })
    const a = await createHarness({ store, rateLimit: { login: { points: 2 } } })
    const b = await createHarness({ store, rateLimit: { login: { points: 2 } } })
    expect((await attempt(a, 'alice', 'no', ATTACKER)).status).toBe(401)
    expect((await attempt(b, 'bob', 'no', ATTACKER)).status).toBe(401)
    await expectLimited(await attempt(a, 'carol', 'no', ATTACKER), 60)
  })
})

describe('reauthenticate', () => {
  /** `POST /auth/reauthenticate` from `ip` with a session's bearer token and refresh cookie. */
  const reauth = (
    h: Harness,
    session: { token: string; cookie: string },
    body: { username: string; password: string },
    ip = ATTACKER,
  ) =>
    h.send('/auth/reauthenticate', {
      method: 'POST',
      ip,
      headers: {
        ...CSRF,
        'content-type': 'application/json',
        authorization: `Bearer ${session.token}`,
        cookie: `__Host-baton_rt=${session.cookie}`,
      },
      body: JSON.stringify(body),
    })

  /** Alice's session, signed in from her home and then in an attacker's hands. */
  async function aliceSession(h: Harness) {
    const login = await h.login('alice', { ip: ALICE_HOME })
    return { token: login.body.accessToken, cookie: login.cookie }
  }

  const bob = { username: 'bob', password: passwordOf('bob') }

  it('keeps the per-address point of another account’s right password: that is a refused attempt', async () => {
    const h = await createHarness({
      rateLimit: { reauthenticate: { points: 2, duration: '1m' }, username: false },
    })
    const session = await aliceSession(h)

    expect((await reauth(h, session, bob)).status).toBe(401)
    expect((await reauth(h, session, bob)).status).toBe(401)
    await expectLimited(await reauth(h, session, bob), 60)
  })

  it('counts another account’s right password against the username, up to the delay', async () => {
    const h = await createHarness({
      rateLimit: { reauthenticate: false, username: { points: 2, delay: '60s', maxDelay: '60s' } },
    })
    const session = await aliceSession(h)

    // 1: counted; 2: reaches the count and opens the 60 s window; 3: inside it, refused.
    expect((await reauth(h, session, bob)).status).toBe(401)
    expect((await reauth(h, session, bob)).status).toBe(401)
    await expectLimited(await reauth(h, session, bob), 60)
    expect(h.eventsOf('reauthenticated')).toStrictEqual([])
  })

  it('does not let another account whose name folds onto the session user’s wipe the delay of guesses at it', async () => {
    const h = await createHarness({
      authenticate: caseSensitive,
      rateLimit: {
        reauthenticate: false,
        login: false,
        username: { points: 2, delay: '60s', maxDelay: '60s' },
      },
    })
    const session = await aliceSession(h)
    const guess = (password: string) => reauth(h, session, { username: 'alice', password })

    expect((await guess('guess-1')).status).toBe(401)
    // The second attempt on the folded name opens the window: Mallory's own `Alice`.
    const mismatch = await reauth(h, session, { username: 'Alice', password: 'mallory-owns-this' })
    expect(mismatch.status).toBe(401)
    await expectLimited(await guess('guess-2'), 60)
  })

  it('still forgives the session user’s own failures once the password is right', async () => {
    const h = await createHarness({
      rateLimit: { reauthenticate: false, username: { points: 2, delay: '60s', maxDelay: '60s' } },
    })
    const session = await aliceSession(h)
    expect((await reauth(h, session, { username: 'alice', password: 'typo' })).status).toBe(401)
    const right = await reauth(h, session, { username: 'alice', password: passwordOf('alice') })
    expect(right.status).toBe(200)
    const grant = (await right.json()) as { accessToken: string }
    const rotated = { token: grant.accessToken, cookie: cookieValue(right) }

    // The count starts over: one more failure is not yet at the delay.
    expect((await reauth(h, rotated, { username: 'alice', password: 'typo' })).status).toBe(401)
  })

  it('charges the per-address budget before the bearer is even checked', async () => {
    const h = await createHarness({ rateLimit: { reauthenticate: { points: 1, duration: '1m' } } })
    const reauth = () =>
      h.post('/reauthenticate', {
        ip: ATTACKER,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: 'nope' }),
      })
    expect((await reauth()).status).toBe(401)
    await expectLimited(await reauth(), 60)
    expect(h.eventsOf('rate_limited').map((e) => [e.route, e.key])).toStrictEqual([
      ['reauthenticate', 'ip'],
    ])
  })
})
