import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, redactUrl, type Env } from './config'

/** 32 bytes in base64url, as `BATON_MFA_KEY` takes them. */
const MFA_KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8'

const failure = (env: Env) => {
  try {
    loadConfig(env, 'production')
  } catch (error) {
    if (error instanceof ConfigError) return { variable: error.variable, message: error.message }
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig defaults', () => {
  it('Should use the documented defaults in production', () => {
    expect(loadConfig({}, 'production')).toEqual({
      mode: 'production',
      host: '127.0.0.1',
      port: 3000,
      vitePort: 5173,
      accessTokenTtl: 300_000,
      idleTimeout: 86_400_000,
      absoluteTimeout: 2_592_000_000,
      gracePeriod: 10_000,
      refreshMargin: 30_000,
      stepUpMaxAge: 300_000,
      allowedOrigins: null,
      store: { kind: 'memory' },
      signingKeys: null,
      cookieSecure: true,
      dpopNonce: null,
      mfaKeys: null,
    })
  })

  it('Should turn DPoP nonces on with a long enough secret, and refuse a short one', () => {
    const secret = 'n'.repeat(32)
    expect(loadConfig({ BATON_DPOP_NONCE_SECRET: secret }, 'production').dpopNonce).toEqual({
      secret,
      lifetime: 300_000,
    })
    expect(
      loadConfig(
        { BATON_DPOP_NONCE_SECRET: secret, BATON_DPOP_NONCE_LIFETIME: '30s' },
        'production',
      ).dpopNonce,
    ).toEqual({ secret, lifetime: 30_000 })
    expect(() => loadConfig({ BATON_DPOP_NONCE_SECRET: 'short' }, 'production')).toThrow(
      'BATON_DPOP_NONCE_SECRET must be at least 32 characters long',
    )
  })

  it('Should put the BFF on 3001 in development, behind Vite on 5173', () => {
    const config = loadConfig({}, 'development')
    expect(config.port).toBe(3001)
    expect(config.vitePort).toBe(5173)
  })

  it('Should treat empty variables as unset', () => {
    expect(loadConfig({ PORT: '', BATON_ACCESS_TTL: '  ' }, 'production')).toMatchObject({
      port: 3000,
      accessTokenTtl: 300_000,
    })
  })
})

describe('loadConfig values', () => {
  it('Should read the step-up max age in whole seconds', () => {
    expect(loadConfig({ BATON_STEP_UP_MAX_AGE: '2s' }, 'production').stepUpMaxAge).toBe(2_000)
    for (const value of ['1500ms', '0', 'soon']) {
      expect(() => loadConfig({ BATON_STEP_UP_MAX_AGE: value }, 'production')).toThrow(
        /^BATON_STEP_UP_MAX_AGE /,
      )
    }
  })

  it('Should read short demo settings', () => {
    const config = loadConfig(
      {
        PORT: '0',
        HOST: '0.0.0.0',
        BATON_ACCESS_TTL: '3s',
        BATON_REFRESH_MARGIN: '500ms',
        BATON_IDLE_TIMEOUT: '30m',
        BATON_ABSOLUTE_TIMEOUT: '2h',
        BATON_GRACE_PERIOD: '0',
        BATON_ALLOWED_ORIGINS: 'https://app.example, http://localhost:5173',
        BATON_COOKIE_SECURE: 'false',
      },
      'production',
    )
    expect(config).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      accessTokenTtl: 3_000,
      refreshMargin: 500,
      idleTimeout: 1_800_000,
      absoluteTimeout: 7_200_000,
      gracePeriod: 0,
      allowedOrigins: ['https://app.example', 'http://localhost:5173'],
      cookieSecure: false,
    })
  })

  it('Should read the sqlite and redis stores with their defaults', () => {
    const production = (env: Env) => loadConfig({ BATON_MFA_KEY: MFA_KEY, ...env }, 'production')
    expect(production({ BATON_STORE: 'sqlite' }).store).toEqual({
      kind: 'sqlite',
      path: '.data/sessions.db',
    })
    expect(production({ BATON_STORE: 'sqlite', BATON_SQLITE_PATH: '/tmp/s.db' }).store).toEqual({
      kind: 'sqlite',
      path: '/tmp/s.db',
    })
    expect(production({ BATON_STORE: 'redis' }).store).toEqual({
      kind: 'redis',
      url: 'redis://127.0.0.1:6379',
      keyPrefix: 'baton-demo:',
    })
    expect(
      production({ BATON_STORE: 'Redis', REDIS_URL: 'rediss://r.example:6380/1' }).store,
    ).toMatchObject({ url: 'rediss://r.example:6380/1' })
  })

  it('Should read BATON_MFA_KEY as base64 or base64url, a list rotating keys', () => {
    const base64 = 'q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80='
    expect(loadConfig({ BATON_MFA_KEY: MFA_KEY }, 'production').mfaKeys).toEqual([MFA_KEY])
    expect(loadConfig({ BATON_MFA_KEY: `${MFA_KEY}, ${base64}` }, 'production').mfaKeys).toEqual([
      MFA_KEY,
      base64,
    ])
  })

  it('Should generate the MFA key where the factors die with the process, and in development', () => {
    expect(loadConfig({}, 'production').mfaKeys).toBeNull()
    expect(loadConfig({ BATON_STORE: 'sqlite' }, 'development').mfaKeys).toBeNull()
  })

  it('Should refuse to start production on a lasting store without BATON_MFA_KEY', () => {
    for (const store of ['sqlite', 'redis']) {
      expect(failure({ BATON_STORE: store })).toEqual({
        variable: 'BATON_MFA_KEY',
        message: `BATON_MFA_KEY is required with BATON_STORE=${store}: TOTP secrets stored there must still open after a restart (create one with "openssl rand -base64 32")`,
      })
    }
  })

  it('Should keep signing keys as given (JSON or PEM)', () => {
    const jwk = '[{"kty":"EC","crv":"P-256","x":"a","y":"b","d":"c"}]'
    expect(loadConfig({ BATON_SIGNING_KEYS: jwk }, 'production').signingKeys).toBe(jwk)
    const pem = '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----'
    expect(loadConfig({ BATON_SIGNING_KEYS: pem }, 'production').signingKeys).toBe(pem)
  })
})

describe('loadConfig refuses what it cannot use, naming the variable', () => {
  it.each([
    [{ PORT: 'http' }, 'PORT', 'PORT must be a port number from 0 to 65535, got "http"'],
    [{ PORT: '70000' }, 'PORT', 'PORT must be a port number from 0 to 65535, got "70000"'],
    [{ PORT: '-1' }, 'PORT', 'PORT must be a port number from 0 to 65535, got "-1"'],
    [{ VITE_PORT: '5e3' }, 'VITE_PORT', 'VITE_PORT must be a port number'],
    [{ BATON_ACCESS_TTL: 'soon' }, 'BATON_ACCESS_TTL', 'BATON_ACCESS_TTL must be a duration'],
    [
      { BATON_ACCESS_TTL: '500ms' },
      'BATON_ACCESS_TTL',
      'BATON_ACCESS_TTL must be at least 1000 ms',
    ],
    [
      { BATON_IDLE_TIMEOUT: '1 week' },
      'BATON_IDLE_TIMEOUT',
      'BATON_IDLE_TIMEOUT must be a duration',
    ],
    [{ BATON_IDLE_TIMEOUT: '0' }, 'BATON_IDLE_TIMEOUT', 'BATON_IDLE_TIMEOUT must be at least 1 ms'],
    [{ BATON_ABSOLUTE_TIMEOUT: '-5d' }, 'BATON_ABSOLUTE_TIMEOUT', 'must be a duration'],
    [{ BATON_GRACE_PERIOD: 'ten' }, 'BATON_GRACE_PERIOD', 'BATON_GRACE_PERIOD must be a duration'],
    [
      { BATON_REFRESH_MARGIN: '1y' },
      'BATON_REFRESH_MARGIN',
      'BATON_REFRESH_MARGIN must be a duration',
    ],
    [
      { BATON_ALLOWED_ORIGINS: 'https://app.example/path' },
      'BATON_ALLOWED_ORIGINS',
      'BATON_ALLOWED_ORIGINS must be a comma-separated list of origins like "https://app.example", got "https://app.example/path"',
    ],
    [{ BATON_ALLOWED_ORIGINS: 'app.example' }, 'BATON_ALLOWED_ORIGINS', 'got "app.example"'],
    [{ BATON_ALLOWED_ORIGINS: 'https://a.example,,' }, 'BATON_ALLOWED_ORIGINS', 'got ""'],
    [{ BATON_ALLOWED_ORIGINS: 'ftp://files.example' }, 'BATON_ALLOWED_ORIGINS', 'ftp://'],
    [
      { BATON_STORE: 'postgres' },
      'BATON_STORE',
      'BATON_STORE must be "memory", "sqlite" or "redis", got "postgres"',
    ],
    [
      { BATON_STORE: 'redis', REDIS_URL: 'localhost:6379' },
      'REDIS_URL',
      'REDIS_URL must be a redis://',
    ],
    [{ BATON_STORE: 'redis', BATON_REDIS_PREFIX: 'a{b}' }, 'BATON_REDIS_PREFIX', 'may not contain'],
    [
      { BATON_COOKIE_SECURE: 'yes' },
      'BATON_COOKIE_SECURE',
      'BATON_COOKIE_SECURE must be "true" or "false", got "yes"',
    ],
    [{ BATON_SIGNING_KEYS: '{not json' }, 'BATON_SIGNING_KEYS', 'it is not valid JSON'],
    [{ BATON_SIGNING_KEYS: '[]' }, 'BATON_SIGNING_KEYS', 'must hold at least one JWK object'],
    [{ BATON_SIGNING_KEYS: '[1, 2]' }, 'BATON_SIGNING_KEYS', 'must hold at least one JWK object'],
    [{ BATON_MFA_KEY: 'c2hvcnQ' }, 'BATON_MFA_KEY', 'must be 32 bytes in base64 or base64url'],
    [{ BATON_MFA_KEY: `${MFA_KEY},` }, 'BATON_MFA_KEY', 'or a comma-separated list of them'],
    [{ BATON_MFA_KEY: `${MFA_KEY}A` }, 'BATON_MFA_KEY', 'must be 32 bytes'],
  ] satisfies Array<[Env, string, string | undefined]>)('%o → %s', (env, variable, message) => {
    const error = failure(env)
    expect(error.variable).toBe(variable)
    expect(error.message.startsWith(`${variable} `)).toBe(true)
    if (message !== undefined) expect(error.message).toContain(message)
  })
})

describe('redactUrl', () => {
  it.each([
    ['redis://:s3cret@cache.example:6379/0', 'redis://:***@cache.example:6379/0'],
    ['rediss://default:s3cret@cache.example:6380/1', 'rediss://default:***@cache.example:6380/1'],
    ['redis://:p@ss:w0rd@cache.example:6379', 'redis://:***@cache.example:6379'],
    [
      'redis://cache.example:6379?password=s3cret&db=2',
      'redis://cache.example:6379?password=***&db=2',
    ],
    ['default:s3cret@cache.example:6379', 'default:***@cache.example:6379'],
    ['//:s3cret@cache.example', '//:***@cache.example'],
  ])('Should hide the password of %s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted)
  })

  it.each(['redis://127.0.0.1:6379', 'redis://alice@cache.example:6379/0', 'localhost:6379'])(
    'Should leave %s, which holds no password, as it is',
    (url) => {
      expect(redactUrl(url)).toBe(url)
    },
  )

  it('Should not echo the password of a REDIS_URL it refuses', () => {
    const error = failure({ BATON_STORE: 'redis', REDIS_URL: 'http://:s3cret@cache.example:6379' })
    expect(error).toEqual({
      variable: 'REDIS_URL',
      message:
        'REDIS_URL must be a redis:// or rediss:// URL, got "http://:***@cache.example:6379"',
    })
  })
})
