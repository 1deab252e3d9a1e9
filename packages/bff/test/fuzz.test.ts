/**
 * Property-based tests: random cookies, bodies and headers against every route. Whatever arrives,
 * the BFF answers below 500, and every error is exactly `{ error: { code, message } }` (a 429 adds
 * `retryAfter`, the `Retry-After` header's seconds).
 *
 * The arbitraries are biased towards requests that get past the outer checks (CSRF, body size,
 * bearer syntax), so the handlers and the token code behind them are fuzzed too, not only the
 * first guard.
 */
import fc from 'fast-check'
import { base64url } from 'jose'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  cookieValue,
  createHarness,
  ORIGIN,
  passwordOf,
  MINUTE,
  SECOND,
  type Harness,
  type TokenResponse,
} from './helpers.js'

const RUNS = 250

/** A live session the arbitraries draw real cookies and tokens from; follows every rotation. */
interface Fixture {
  h: Harness
  cookie: string
  /** The cookie before the last rotation: a duplicate inside the grace window, or reuse after. */
  previousCookie: string
  accessToken: string
  issuedAt: number
  /** Set when a response ended the session; the next run signs in again. */
  ended: boolean
  kid: string
  /** Another session of the same user, for DELETE /auth/sessions/:id. */
  otherSessionId: string
}

async function createFixture(): Promise<Fixture> {
  const h = await createHarness()
  const login = await h.login('alice')
  const other = await h.login('alice')
  return {
    h,
    cookie: login.cookie,
    previousCookie: login.cookie,
    accessToken: login.body.accessToken,
    issuedAt: h.clock.now(),
    ended: false,
    kid: (await h.keys.jwks()).keys[0]!.kid!,
    otherSessionId: other.body.sessionId,
  }
}

/** Signs in again once the fixture's session has ended or its access token is about to expire. */
async function keepAlive(f: Fixture) {
  if (!f.ended && f.h.clock.now() - f.issuedAt < 4 * MINUTE) return
  const login = await f.h.login('alice')
  Object.assign(f, {
    cookie: login.cookie,
    previousCookie: login.cookie,
    accessToken: login.body.accessToken,
    issuedAt: f.h.clock.now(),
    ended: false,
  })
}

/** Mostly `likely`, sometimes one of the others. */
const weighted = <T>(likely: fc.Arbitrary<T>, ...others: fc.Arbitrary<T>[]) =>
  fc.oneof({ arbitrary: likely, weight: 3 * others.length }, ...others)

/** A value drawn when the run starts, from the fixture as it is then. */
const current = <T>(read: () => T) => fc.constant(null).map(read)

/** One visible Latin-1 character or a tab: what a header value may hold. */
const headerChar = fc
  .integer({ min: 0x09, max: 0xff })
  .filter((code) => code === 0x09 || (code >= 0x20 && code !== 0x7f))
  .map((code) => String.fromCharCode(code))
const headerText = (maxLength = 120) => fc.string({ unit: headerChar, maxLength })

const randomBase64url = (minLength: number, maxLength: number) =>
  fc.uint8Array({ minLength, maxLength }).map((bytes) => base64url.encode(bytes))

/** JWTs that get past the Bearer syntax, so jose has to parse and refuse them. */
const forgedJwt = (f: () => Fixture) =>
  fc
    .tuple(
      fc.record(
        {
          alg: fc.oneof(fc.constantFrom('ES256', 'EdDSA', 'none', 'HS256', 'RS256'), fc.string()),
          kid: fc.oneof(
            current(() => f().kid),
            fc.string(),
            fc.integer(),
          ),
          typ: fc.oneof(fc.constantFrom('at+jwt', 'JWT'), fc.jsonValue()),
          crit: fc.array(fc.string(), { maxLength: 2 }),
          b64: fc.boolean(),
          jwk: fc.object({ maxDepth: 1 }),
        },
        { requiredKeys: [] },
      ),
      fc.oneof(
        fc.record(
          {
            iss: fc.oneof(fc.constant('baton'), fc.jsonValue()),
            aud: fc.oneof(fc.constant('baton-api'), fc.jsonValue()),
            sub: fc.jsonValue(),
            sid: fc.jsonValue(),
            iat: fc.oneof(fc.integer(), fc.double(), fc.string()),
            exp: fc.oneof(fc.integer(), fc.double(), fc.string()),
            nbf: fc.oneof(fc.integer(), fc.string()),
            jti: fc.jsonValue(),
          },
          { requiredKeys: [] },
        ),
        fc.jsonValue(),
      ),
      randomBase64url(0, 80),
    )
    .map(
      ([header, payload, signature]) =>
        `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload) ?? '')}.${signature}`,
    )

/** A refresh cookie: the real one, the real one with bits flipped, random bytes, or garbage. */
const refreshCookie = (f: () => Fixture) =>
  fc.oneof(
    { arbitrary: current(() => f().cookie), weight: 4 },
    { arbitrary: current(() => f().previousCookie), weight: 3 },
    fc
      .tuple(
        current(() => f().cookie),
        fc.nat({ max: 63 }),
        fc.integer({ min: 1, max: 255 }),
      )
      .map(([cookie, index, mask]) => {
        const bytes = base64url.decode(cookie)
        bytes[index]! ^= mask
        return base64url.encode(bytes)
      }),
    randomBase64url(60, 68),
    headerText(140).filter((v) => !v.includes(';')),
  )

/**
 * Random values for every header the BFF reads, each sometimes absent. Half of the requests carry
 * the headers of a same-origin browser fetch on top, so they get past the CSRF check.
 */
function headers(f: () => Fixture) {
  return fc
    .tuple(randomHeaders(f), fc.boolean())
    .map(([random, browser]) => (browser ? { ...random, 'x-csrf': '1', origin: ORIGIN } : random))
}

function randomHeaders(f: () => Fixture) {
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined })
  return fc
    .record({
      'x-csrf': maybe(weighted(fc.constant('1'), headerText(4))),
      origin: maybe(
        weighted(
          fc.constant(ORIGIN),
          fc.constantFrom('null', 'https://evil.example'),
          headerText(),
        ),
      ),
      'sec-fetch-site': maybe(
        fc.oneof(fc.constantFrom('same-origin', 'same-site', 'cross-site', 'none'), headerText(12)),
      ),
      cookie: maybe(
        weighted(
          refreshCookie(f).map((v) => `baton_rt=${v}`),
          fc
            .array(fc.tuple(headerText(12), headerText(40)), { maxLength: 4 })
            .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('; ')),
          headerText(200),
        ),
      ),
      authorization: maybe(
        weighted(
          current(() => `Bearer ${f().accessToken}`),
          forgedJwt(f).map((jwt) => `Bearer ${jwt}`),
          headerText(200),
        ),
      ),
      'content-type': maybe(
        fc.oneof(
          fc.constantFrom(
            'application/json',
            'text/plain;charset=UTF-8',
            'application/x-www-form-urlencoded',
            'multipart/form-data; boundary=x',
          ),
          headerText(40),
        ),
      ),
      // Mostly absent: any Content-Length over 8 KiB short-circuits to 413 before the handler.
      'content-length': weighted<string | undefined>(
        fc.constant(undefined),
        fc.nat().map(String),
        headerText(8),
      ),
      'user-agent': maybe(headerText(2_000)),
    })
    .map((record) => {
      const result: Record<string, string> = {}
      for (const [name, value] of Object.entries(record)) {
        if (value !== undefined) result[name] = value
      }
      return result
    })
}

/** JSON bodies shaped like what the routes expect, with values of any type. */
const shapedJson = fc
  .record(
    {
      username: fc.oneof(fc.constantFrom('alice', 'bob', ''), fc.string(), fc.jsonValue()),
      password: fc.oneof(fc.constant(passwordOf('alice')), fc.string(), fc.jsonValue()),
      everywhere: fc.oneof(fc.boolean(), fc.jsonValue()),
      __proto__: fc.jsonValue(),
    },
    { requiredKeys: [] },
  )
  .map((value) => JSON.stringify(value))

/** A request body, as the Fetch API takes it. */
type Body = NonNullable<RequestInit['body']> | null

const body: fc.Arbitrary<Body> = fc.oneof(
  fc.constant(null),
  {
    arbitrary: fc.constantFrom(
      JSON.stringify({ username: 'alice', password: passwordOf('alice') }),
      JSON.stringify({ everywhere: true }),
    ),
    weight: 3,
  },
  shapedJson,
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }),
  fc.integer({ min: 8 * 1024 - 16, max: 20 * 1024 }).map((n) => `{"username":"${'u'.repeat(n)}"}`),
)

/** Mostly no time at all, sometimes enough to leave the 10 s grace window. */
const elapsed = fc.oneof(
  { arbitrary: fc.constant(0), weight: 3 },
  { arbitrary: fc.nat({ max: 15 * SECOND }), weight: 1 },
)

/** The request, or `null` when the Fetch API itself refuses to build it. */
function tryRequest(
  method: string,
  path: string,
  init: { headers: Record<string, string>; body: Body },
) {
  try {
    return new Request(new URL(path, ORIGIN), { method, ...init })
  } catch {
    return null
  }
}

const isTokenResponse = (value: unknown): value is TokenResponse =>
  typeof value === 'object' && value !== null && 'accessToken' in value

/** Sends the request; asserts no 5xx and the exact error shape; follows the session it renews. */
async function expectNo5xx(f: Fixture, request: Request) {
  const res = await f.h.bff.request(request)
  expect(res.status, `${request.method} ${request.url}`).toBeLessThan(500)
  const json: unknown = res.headers.get('content-type')?.startsWith('application/json')
    ? await res.json()
    : null
  if (res.status === 429) {
    // The wire contract's one error with a third field: the Retry-After header, repeated.
    expect(json).toStrictEqual({
      error: {
        code: 'rate_limited',
        message: expect.any(String) as string,
        retryAfter: Number(res.headers.get('retry-after')),
      },
    })
  } else if (res.status >= 400) {
    expect(json).toStrictEqual({
      error: { code: expect.any(String) as string, message: expect.any(String) as string },
    })
  }
  const route = new URL(request.url).pathname
  if (res.status === 200 && isTokenResponse(json)) {
    const cookie = cookieValue(res)
    if (cookie !== f.cookie) Object.assign(f, { previousCookie: f.cookie, cookie })
    Object.assign(f, { accessToken: json.accessToken, issuedAt: f.h.clock.now() })
  } else if (
    (route === '/auth/refresh' && res.status === 401) ||
    (route === '/auth/logout' && res.status === 204)
  ) {
    f.ended = true
  }
}

describe('fuzzing every route with random cookies, bodies and headers', () => {
  let fixture: Fixture
  const f = () => fixture
  beforeEach(async () => {
    fixture = await createFixture()
  })

  it.each([
    ['POST', '/auth/login'],
    ['POST', '/auth/refresh'],
    ['POST', '/auth/logout'],
    ['GET', '/auth/sessions'],
    ['GET', '/.well-known/jwks.json'],
  ])('%s %s never answers 5xx', async (method, path) => {
    await fc.assert(
      fc.asyncProperty(
        headers(f),
        method === 'POST' ? body : fc.constant(null),
        elapsed,
        async (hdrs, payload, ms) => {
          const request = tryRequest(method, path, { headers: hdrs, body: payload })
          fc.pre(request !== null)
          f().h.clock.advance(ms)
          await expectNo5xx(f(), request)
          await keepAlive(f())
        },
      ),
      { numRuns: RUNS },
    )
    expect(f().h.logger.error).not.toHaveBeenCalled()
  })

  it('DELETE /auth/sessions/:id never answers 5xx', async () => {
    const id = fc.oneof(
      current(() => f().otherSessionId),
      fc.constant('AAAAAAAAAAAAAAAAAAAAAA'),
      randomBase64url(16, 16),
      fc.string({ maxLength: 40 }).map(encodeURIComponent),
    )
    await fc.assert(
      fc.asyncProperty(headers(f), id, async (hdrs, sessionId) => {
        const request = tryRequest('DELETE', `/auth/sessions/${sessionId}`, {
          headers: hdrs,
          body: null,
        })
        fc.pre(request !== null)
        await expectNo5xx(f(), request)
        await keepAlive(f())
      }),
      { numRuns: RUNS },
    )
    expect(f().h.logger.error).not.toHaveBeenCalled()
  })

  it('any method on any path never answers 5xx', async () => {
    const method = fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS')
    const path = fc
      .array(fc.oneof(fc.constantFrom('auth', 'sessions', 'login', '.well-known'), fc.string()), {
        maxLength: 4,
      })
      .map((segments) => `/${segments.map(encodeURIComponent).join('/')}`)
    await fc.assert(
      fc.asyncProperty(method, path, headers(f), body, async (m, p, hdrs, payload) => {
        const request = tryRequest(m, p, {
          headers: hdrs,
          body: m === 'GET' || m === 'HEAD' ? null : payload,
        })
        fc.pre(request !== null)
        const res = await f().h.bff.request(request)
        expect(res.status, `${m} ${p}`).toBeLessThan(500)
      }),
      { numRuns: RUNS },
    )
    expect(f().h.logger.error).not.toHaveBeenCalled()
  })
})
