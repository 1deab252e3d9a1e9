import { describe, expect, it } from 'vitest'
import { createBff, createSigningKeys, generateSigningKey, type BffOptions } from '../src/index.js'
import { authenticate, createHarness } from './helpers.js'

const keys = createSigningKeys({ keys: [await generateSigningKey('ES256')] })

describe('createBff() option validation', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['no authenticate', { authenticate: undefined }, /authenticate must be a function/],
    ['a relative basePath', { basePath: 'auth' }, /^basePath must be a path/],
    ['a basePath with a query', { basePath: '/auth?x=1' }, /^basePath must be a path/],
    ['a jwksPath with spaces', { jwksPath: '/jwks .json' }, /^jwksPath must be a path/],
    ['a negative gracePeriod', { gracePeriod: -1 }, /^gracePeriod must be a non-negative/],
    ['an unparseable idleTimeout', { idleTimeout: 'forever' }, /^idleTimeout must be a duration/],
    ['an idleTimeout of 0', { idleTimeout: 0 }, /^idleTimeout must be positive/],
    ['an absoluteTimeout of 0s', { absoluteTimeout: '0s' }, /^absoluteTimeout must be positive/],
    [
      'an accessTokenTtl under 1s',
      { accessTokenTtl: '999ms' },
      /^accessTokenTtl must be at least 1s/,
    ],
    ['an infinite accessTokenTtl', { accessTokenTtl: Infinity }, /^accessTokenTtl must be/],
    ['a cookie name with a space', { cookie: { name: 'baton rt' } }, /^cookie.name "baton rt"/],
    ['a cookie name with "="', { cookie: { name: 'a=b' } }, /^cookie.name "a=b"/],
    ['a __Host- cookie off path /', { cookie: { name: '__Host-rt' } }, /requires cookie.path "\/"/],
    [
      'a __Secure- cookie without Secure',
      { cookie: { name: '__Secure-rt', secure: false } },
      /requires cookie.secure/,
    ],
    ['a relative cookie path', { cookie: { path: 'auth' } }, /^cookie.path must be a path/],
    [
      'an allowed origin with a path',
      { allowedOrigins: ['https://app.example/login'] },
      /^allowedOrigins: "https:\/\/app.example\/login"/,
    ],
    [
      'an allowed origin that is not a URL',
      { allowedOrigins: ['app.example'] },
      /^allowedOrigins: "app.example" is not an origin/,
    ],
    [
      'keys not made by createSigningKeys()',
      { keys: { ephemeral: false, jwks: async () => ({ keys: [] }) } },
      /^createBff: keys must come from createSigningKeys\(\)/,
    ],
    [
      'allowedOrigins as a string',
      { allowedOrigins: 'https://app.example' },
      /^allowedOrigins must/,
    ],
    ['maxUsernameLength 0', { maxUsernameLength: 0 }, /^maxUsernameLength must be a positive/],
    ['a fractional maxPasswordLength', { maxPasswordLength: 1.5 }, /^maxPasswordLength must be/],
  ])('throws a TypeError for %s', (_, bad, message) => {
    const options = { authenticate, keys, ...bad } as unknown as BffOptions

    expect(() => createBff(options)).toThrow(TypeError)
    expect(() => createBff(options)).toThrow(message)
  })

  it('throws a TypeError without options at all', () => {
    expect(() => createBff(undefined as unknown as BffOptions)).toThrow(TypeError)
  })

  it.each<[string, Partial<BffOptions>]>([
    ['gracePeriod 0', { gracePeriod: 0 }],
    ['durations in milliseconds', { accessTokenTtl: 60_000, idleTimeout: 3_600_000 }],
    ['fractional durations', { idleTimeout: '1.5h', accessTokenTtl: '2.5m' }],
    ['basePath /', { basePath: '/' }],
    ['a __Host- cookie on path /', { cookie: { name: '__Host-rt', path: '/' } }],
  ])('accepts %s', async (_, options) => {
    const h = await createHarness(options)

    await h.login('alice')
  })
})
