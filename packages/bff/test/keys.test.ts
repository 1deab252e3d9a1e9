import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  jwtVerify,
  type JSONWebKeySet,
  type JWK,
} from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  createBff,
  createSigningKeys,
  generateSigningKey,
  memoryStore,
  type SigningKeys,
} from '../src/index.js'
import {
  authenticate,
  client,
  createHarness,
  expectError,
  T0,
  testClock,
  testLogger,
} from './helpers.js'

/** The public half of a private JWK, as a verifier would hold it. */
const publicOnly = ({ d: _d, ...jwk }: JWK): JWK => jwk

async function publishedKeys(h: { send: (path: string) => Promise<Response> }) {
  const res = await h.send('/.well-known/jwks.json')
  expect(res.status).toBe(200)
  return (await res.json()) as JSONWebKeySet
}

async function verifies(token: string, jwks: JSONWebKeySet) {
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
    currentDate: new Date(T0),
    typ: 'at+jwt',
  })
  return payload
}

describe('GET /.well-known/jwks.json', () => {
  it('publishes exactly the public signing key with kid, alg and use, cacheable for 5 minutes', async () => {
    const h = await createHarness()
    const { kty, crv, x, y, kid } = h.signingKey

    const res = await h.send('/.well-known/jwks.json')

    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('public, max-age=300')
    expect(await res.json()).toStrictEqual({
      keys: [{ kty, crv, x, y, kid, alg: 'ES256', use: 'sig' }],
    })
  })

  it('is served at jwksPath when configured', async () => {
    const h = await createHarness({ jwksPath: '/keys/baton.json' })

    const moved = await h.send('/keys/baton.json')
    const old = await h.send('/.well-known/jwks.json')

    expect(moved.status).toBe(200)
    await expectError(old, 404, 'not_found')
  })
})

describe('configured signing keys', () => {
  let es256: JWK
  let ed25519: JWK
  beforeAll(async () => {
    es256 = await generateSigningKey('ES256')
    ed25519 = await generateSigningKey('EdDSA')
  })

  it.each([
    ['a JWK object', () => [es256]],
    ['a JSON array of JWKs (an environment variable)', () => JSON.stringify([es256])],
    ['a single JWK as JSON text', () => JSON.stringify(es256)],
  ])('signs with %s, under its kid', async (_, keys) => {
    const h = await createHarness({ keys: createSigningKeys({ keys: keys() }) })

    const { body } = await h.login('alice')

    expect(decodeProtectedHeader(body.accessToken)).toStrictEqual({
      alg: 'ES256',
      kid: es256.kid,
      typ: 'at+jwt',
    })
    await verifies(body.accessToken, await publishedKeys(h))
  })

  it('signs EdDSA with an Ed25519 JWK', async () => {
    const h = await createHarness({ keys: createSigningKeys({ keys: [ed25519] }) })

    const { body } = await h.login('alice')

    expect(decodeProtectedHeader(body.accessToken)).toMatchObject({
      alg: 'EdDSA',
      kid: ed25519.kid,
    })
    expect(await publishedKeys(h)).toStrictEqual({
      keys: [
        { kty: 'OKP', crv: 'Ed25519', x: ed25519.x, kid: ed25519.kid, alg: 'EdDSA', use: 'sig' },
      ],
    })
    expect((await h.listSessions(body.accessToken)).status).toBe(200)
  })

  it.each([
    ['ES256', { kty: 'EC', crv: 'P-256' }],
    ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
  ] as const)('signs %s with a PKCS#8 PEM, under its JWK thumbprint', async (alg, shape) => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
    const pem = await exportPKCS8(privateKey)
    const publicJwk = await exportJWK(publicKey)
    const kid = await calculateJwkThumbprint(publicJwk)
    const h = await createHarness({ keys: createSigningKeys({ keys: pem, algorithm: alg }) })

    const { body } = await h.login('alice')

    expect(await publishedKeys(h)).toStrictEqual({
      keys: [{ ...publicJwk, ...shape, kid, alg, use: 'sig' }],
    })
    expect(decodeProtectedHeader(body.accessToken)).toStrictEqual({ alg, kid, typ: 'at+jwt' })
    expect((await h.listSessions(body.accessToken)).status).toBe(200)
  })

  it('reports configured keys as not ephemeral and does not warn', () => {
    const logger = testLogger()

    const keys = createSigningKeys({ keys: [es256], logger })

    expect(keys.ephemeral).toBe(false)
    expect(logger.warn).not.toHaveBeenCalled()
  })
})

describe('key rotation', () => {
  let oldKey: JWK
  let newKey: JWK
  beforeAll(async () => {
    oldKey = await generateSigningKey('ES256')
    newKey = await generateSigningKey('ES256')
  })

  /** Two deployments of the BFF over one store: before and after the signing key changed. */
  async function deployments(after: SigningKeys) {
    const store = memoryStore({ sweepInterval: 0 })
    const before = await createHarness({ keys: createSigningKeys({ keys: [oldKey] }), store })
    const rotated = await createHarness({ keys: after, store })
    return { before, rotated }
  }

  it('still accepts a token signed by the old key while the old key is in the ring', async () => {
    const { before, rotated } = await deployments(createSigningKeys({ keys: [newKey, oldKey] }))
    const { body } = await before.login('alice')

    const res = await rotated.listSessions(body.accessToken)

    expect(res.status).toBe(200)
  })

  it('signs new tokens with the first key and publishes both, newest first', async () => {
    const { rotated } = await deployments(createSigningKeys({ keys: [newKey, oldKey] }))

    const { body } = await rotated.login('alice')

    expect(decodeProtectedHeader(body.accessToken).kid).toBe(newKey.kid)
    expect((await publishedKeys(rotated)).keys.map((k) => k.kid)).toStrictEqual([
      newKey.kid,
      oldKey.kid,
    ])
  })

  it('publishes an old key given as a public JWK only, and keeps verifying its tokens', async () => {
    const { before, rotated } = await deployments(
      createSigningKeys({ keys: [newKey, publicOnly(oldKey)] }),
    )
    const { body } = await before.login('alice')

    const res = await rotated.listSessions(body.accessToken)

    expect(res.status).toBe(200)
    const published = (await publishedKeys(rotated)).keys
    expect(published[1]).toStrictEqual({ ...publicOnly(oldKey), use: 'sig' })
    expect(published.some((k) => 'd' in k)).toBe(false)
  })

  it('refuses a token of the old key once the old key has left the ring', async () => {
    const { before, rotated } = await deployments(createSigningKeys({ keys: [newKey] }))
    const { body } = await before.login('alice')

    const res = await rotated.listSessions(body.accessToken)

    await expectError(res, 401, 'invalid_token')
  })

  it('keeps the session itself: the old deployment’s cookie refreshes on the new one', async () => {
    const { before, rotated } = await deployments(createSigningKeys({ keys: [newKey, oldKey] }))
    const { cookie } = await before.login('alice')

    const { body } = await rotated.refreshOk(cookie)

    expect(decodeProtectedHeader(body.accessToken).kid).toBe(newKey.kid)
  })
})

describe('generated signing keys', () => {
  it('warns exactly once through the logger option, however much the BFF is used', async () => {
    const logger = testLogger()
    const clock = testClock()
    // A client address, so that rate limits have nothing to warn of.
    const bff = createBff({ authenticate, logger, now: clock.now, clientIp: () => '198.51.100.7' })
    const c = client(bff)

    const { cookie } = await c.login('alice')
    await c.refreshOk(cookie)
    await c.send('/.well-known/jwks.json')

    expect(logger.warn).toHaveBeenCalledTimes(1)
    expect(logger.warn.mock.calls[0]![0]).toMatch(/^\[baton\] no signing keys configured/)
    expect(logger.error).not.toHaveBeenCalled()
  })

  it('are marked ephemeral and still sign verifiable ES256 tokens', async () => {
    const logger = testLogger()
    const keys = createSigningKeys({ logger })
    const h = await createHarness({ keys })

    const { body } = await h.login('alice')

    expect(keys.ephemeral).toBe(true)
    expect(decodeProtectedHeader(body.accessToken).alg).toBe('ES256')
    await verifies(body.accessToken, await publishedKeys(h))
  })

  it('differ between two BFFs, so one does not accept the other’s tokens', async () => {
    const a = await createHarness({ keys: createSigningKeys({ logger: testLogger() }) })
    const b = await createHarness({
      keys: createSigningKeys({ logger: testLogger() }),
      store: a.store,
    })
    const { body } = await a.login('alice')

    await expectError(await b.listSessions(body.accessToken), 401, 'invalid_token')
  })
})

// Malformed keys and their messages: signing-key-errors.test.ts.
