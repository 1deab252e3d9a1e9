import { describe, expect, it } from 'vitest'
import { createBff, createSigningKeys, generateSigningKey, type BffOptions } from '../src/index.js'
import { authenticate, createHarness } from './helpers.js'

const keys = createSigningKeys({ keys: [await generateSigningKey('ES256')] })

describe('createBff() option validation', () => {
  it.each<[string, Record<string, unknown>, string]>([
    [
      'neither authenticate nor oidc',
      { authenticate: undefined },
      'createBff: give authenticate (password sign-in), oidc (an OpenID provider), or both',
    ],
    [
      'an authenticate that is not a function',
      { authenticate: 'yes' },
      'createBff: authenticate must be a function',
    ],
    [
      'a relative basePath',
      { basePath: 'auth' },
      'createBff: basePath must be a path starting with "/", got "auth"',
    ],
    [
      'a basePath with a query',
      { basePath: '/auth?x=1' },
      'createBff: basePath must be a path starting with "/", got "/auth?x=1"',
    ],
    [
      'a jwksPath with spaces',
      { jwksPath: '/jwks .json' },
      'createBff: jwksPath must be a path starting with "/", got "/jwks .json"',
    ],
    [
      'a negative gracePeriod',
      { gracePeriod: -1 },
      'createBff: gracePeriod must be a non-negative number of milliseconds, got -1',
    ],
    [
      'an unparseable idleTimeout',
      { idleTimeout: 'forever' },
      'createBff: idleTimeout must be a duration such as "10s", "5m" or "24h", got "forever"',
    ],
    ['an idleTimeout of 0', { idleTimeout: 0 }, 'createBff: idleTimeout must be positive'],
    [
      'an absoluteTimeout of 0s',
      { absoluteTimeout: '0s' },
      'createBff: absoluteTimeout must be positive',
    ],
    [
      'an accessTokenTtl under 1s',
      { accessTokenTtl: '999ms' },
      'createBff: accessTokenTtl must be at least 1s',
    ],
    [
      'an infinite accessTokenTtl',
      { accessTokenTtl: Infinity },
      'createBff: accessTokenTtl must be a non-negative number of milliseconds, got Infinity',
    ],
    [
      'a cookie name with a space',
      { cookie: { name: 'baton rt' } },
      'createBff: cookie.name "baton rt" is not a valid cookie name',
    ],
    [
      'a cookie name with "="',
      { cookie: { name: 'a=b' } },
      'createBff: cookie.name "a=b" is not a valid cookie name',
    ],
    [
      'a __Host- cookie off path /',
      { cookie: { name: '__Host-rt', scope: 'auth-path' } },
      'createBff: cookie.name with the __Host- prefix requires cookie.path "/"',
    ],
    [
      'a __Secure- cookie without Secure',
      { cookie: { name: '__Secure-rt', secure: false } },
      'createBff: cookie.name with a __Host- or __Secure- prefix requires cookie.secure',
    ],
    [
      'a relative cookie path',
      { cookie: { path: 'auth' } },
      'createBff: cookie.path must be a path starting with "/", got "auth"',
    ],
    [
      'a cookie path with ";", which would end the attribute',
      { cookie: { path: '/auth;Domain=evil.example' } },
      'createBff: cookie.path must be a path starting with "/", got "/auth;Domain=evil.example"',
    ],
    [
      'a session hint name with a space',
      { sessionHintCookie: 'baton session' },
      'createBff: sessionHintCookie "baton session" is not a valid cookie name',
    ],
    [
      'an empty session hint name',
      { sessionHintCookie: '' },
      'createBff: sessionHintCookie "" is not a valid cookie name',
    ],
    [
      'a session hint that is neither a name nor false',
      { sessionHintCookie: true },
      'createBff: sessionHintCookie "true" is not a valid cookie name',
    ],
    [
      'a session hint named like the refresh cookie',
      { sessionHintCookie: '__Host-baton_rt' },
      'createBff: sessionHintCookie must differ from cookie.name "__Host-baton_rt"',
    ],
    [
      'a __Host- session hint without Secure',
      { sessionHintCookie: '__Host-hint', cookie: { secure: false } },
      'createBff: sessionHintCookie with a __Host- or __Secure- prefix requires cookie.secure',
    ],
    [
      'an allowed origin with a path',
      { allowedOrigins: ['https://app.example/login'] },
      'createBff: allowedOrigins: "https://app.example/login" is not an origin like "https://app.example"',
    ],
    [
      'an allowed origin that is not a URL',
      { allowedOrigins: ['app.example'] },
      'createBff: allowedOrigins: "app.example" is not an origin like "https://app.example"',
    ],
    [
      'keys not made by createSigningKeys()',
      { keys: { ephemeral: false, jwks: async () => ({ keys: [] }) } },
      'createBff: keys must come from createSigningKeys()',
    ],
    [
      'allowedOrigins as a string',
      { allowedOrigins: 'https://app.example' },
      'createBff: allowedOrigins must be an array of origins or a function',
    ],
    [
      'maxUsernameLength 0',
      { maxUsernameLength: 0 },
      'createBff: maxUsernameLength must be a positive integer, got 0',
    ],
    [
      'a fractional maxPasswordLength',
      { maxPasswordLength: 1.5 },
      'createBff: maxPasswordLength must be a positive integer, got 1.5',
    ],
  ])('throws a TypeError for %s', (_, bad, message) => {
    const options = { authenticate, keys, ...bad } as unknown as BffOptions

    expect(() => createBff(options)).toThrow(TypeError)
    expect(() => createBff(options)).toThrow(new TypeError(message))
  })

  it('throws a TypeError without options at all', () => {
    expect(() => createBff(undefined as unknown as BffOptions)).toThrow(TypeError)
    expect(() => createBff(undefined as unknown as BffOptions)).toThrow(
      new TypeError('createBff: options are required'),
    )
  })

  it.each<[string, Partial<BffOptions>]>([
    ['gracePeriod 0', { gracePeriod: 0 }],
    ['durations in milliseconds', { accessTokenTtl: 60_000, idleTimeout: 3_600_000 }],
    ['fractional durations', { idleTimeout: '1.5h', accessTokenTtl: '2.5m' }],
    ['basePath /', { basePath: '/' }],
    ['a __Host- cookie on path /', { cookie: { name: '__Host-rt', path: '/' } }],
    ['a named session hint', { sessionHintCookie: 'signed_in' }],
    ['no session hint', { sessionHintCookie: false }],
    ['a __Secure- session hint', { sessionHintCookie: '__Secure-hint' }],
  ])('accepts %s', async (_, options) => {
    const h = await createHarness(options)

    await h.login('alice')
  })
})
