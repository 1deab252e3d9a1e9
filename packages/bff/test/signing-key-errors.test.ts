/**
 * Issue 19, "failures that explain themselves": a malformed `BATON_SIGNING_KEYS` stops the start
 * with a `TypeError` naming the option (and the variable), the key, and the fix. Never a bare
 * `JSON.parse` error, never a 500 at the first login, never the key material in the message.
 */
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, type JWK } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { createBff, createSigningKeys, generateSigningKey } from '../src/index.js'
import { authenticate, createHarness, expectError, testLogger } from './helpers.js'

const FORMATS =
  'Expected a JSON array of JWKs (what `npx baton-keys generate` prints), one JWK, a JWK Set ' +
  '{ "keys": [...] }, or a PKCS#8 PEM.'
const GENERATE = 'Create a key set with `npx baton-keys generate`.'

/** What `createSigningKeys({ keys, source: 'BATON_SIGNING_KEYS' })` throws. */
function thrownFrom(keys: string, extra: { algorithm?: 'ES256' | 'EdDSA' } = {}): TypeError {
  try {
    createSigningKeys({ keys, source: 'BATON_SIGNING_KEYS', ...extra })
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError)
    return error as TypeError
  }
  throw new Error('createSigningKeys did not throw')
}

const publicOnly = ({ d: _d, ...jwk }: JWK): JWK => jwk

let es256: JWK
let ed25519: JWK
let pkcs8: string
beforeAll(async () => {
  es256 = await generateSigningKey('ES256')
  ed25519 = await generateSigningKey('EdDSA')
  const { privateKey } = await generateKeyPair('ES256', { extractable: true })
  pkcs8 = await exportPKCS8(privateKey)
})

describe('createSigningKeys: a malformed key stops the start, naming the option and the fix', () => {
  it('says the value is not JSON, without the parser’s message or any of the text', () => {
    const keys = `[${JSON.stringify(es256)}`

    const error = thrownFrom(keys)

    expect(error.message).toBe(
      `createSigningKeys: keys (from BATON_SIGNING_KEYS) is not valid JSON, nor a PEM. ${FORMATS}`,
    )
    expect(error.message).not.toContain(es256.d)
    expect(error.cause).toBeUndefined()
  })

  it('points at quotes left around the value', () => {
    expect(thrownFrom(`'${JSON.stringify([es256])}'`).message).toBe(
      'createSigningKeys: keys (from BATON_SIGNING_KEYS) is not valid JSON, nor a PEM (it starts ' +
        `with a quote: remove the quotes around the value). ${FORMATS}`,
    )
  })

  it('names the option alone when no source is given', () => {
    expect(() => createSigningKeys({ keys: 'not json' })).toThrow(
      new TypeError(`createSigningKeys: keys is not valid JSON, nor a PEM. ${FORMATS}`),
    )
  })

  it('refuses a public key in first place: it has to sign', () => {
    expect(thrownFrom(JSON.stringify([publicOnly(es256), ed25519])).message).toBe(
      'createSigningKeys: keys[0] (from BATON_SIGNING_KEYS) is a public key (it has no "d"), and ' +
        'the first key signs new tokens. Put a private JWK first; the keys after it may be ' +
        'public. `npx baton-keys rotate` puts a new private key in front of the ones you have.',
    )
  })

  it('refuses an RSA key', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true })
    const rsa = await exportJWK(privateKey)

    expect(thrownFrom(JSON.stringify([rsa])).message).toBe(
      'createSigningKeys: keys[0] (from BATON_SIGNING_KEYS) has kty "RSA", and Baton signs with ' +
        'ES256 (kty "EC", crv "P-256") or EdDSA (kty "OKP", crv "Ed25519"). ' +
        GENERATE,
    )
  })

  it('refuses another curve', async () => {
    const { privateKey } = await generateKeyPair('ES384', { extractable: true })
    const p384 = await exportJWK(privateKey)

    expect(thrownFrom(JSON.stringify([es256, p384])).message).toBe(
      'createSigningKeys: keys[1] (from BATON_SIGNING_KEYS) has kty "EC" and crv "P-384", and ' +
        'Baton signs with ES256 (kty "EC", crv "P-256") or EdDSA (kty "OKP", crv "Ed25519"). ' +
        GENERATE,
    )
  })

  it('refuses an alg that does not fit the key', () => {
    expect(thrownFrom(JSON.stringify({ ...es256, alg: 'RS256' })).message).toBe(
      'createSigningKeys: keys (from BATON_SIGNING_KEYS) has alg "RS256", which does not fit its ' +
        'kty "EC" and crv "P-256". Set alg to "ES256", or leave it out.',
    )
  })

  it('refuses an encryption key', () => {
    expect(thrownFrom(JSON.stringify([{ ...ed25519, use: 'enc' }])).message).toBe(
      'createSigningKeys: keys[0] (from BATON_SIGNING_KEYS) has use "enc", and a signing key has ' +
        'use "sig". Set use to "sig", or leave it out.',
    )
  })

  it.each(['x', 'y', 'd'])('refuses a damaged "%s", without quoting it', (member) => {
    const damaged = { ...es256, [member]: `${es256[member as 'x' | 'y' | 'd'] ?? ''}AA` }

    const error = thrownFrom(JSON.stringify([damaged]))

    expect(error.message).toBe(
      `createSigningKeys: keys[0] (from BATON_SIGNING_KEYS) has a missing or malformed "${member}" ` +
        `(expected the base64url of 32 bytes). Copy the key again. ${GENERATE}`,
    )
    expect(error.message).not.toContain(es256.d)
  })

  it('refuses something that is not a JWK', () => {
    expect(thrownFrom('{"keys": 1, "d": "secret"}').message).toBe(
      `createSigningKeys: keys (from BATON_SIGNING_KEYS) is not a JWK (it has no "kty"). ${FORMATS}`,
    )
    expect(thrownFrom('[42]').message).toBe(
      `createSigningKeys: keys[0] (from BATON_SIGNING_KEYS) is a number, not a JWK or a PEM. ${FORMATS}`,
    )
    expect(thrownFrom('"-----BEGIN PRIVATE KEY-----"').message).toBe(
      'createSigningKeys: keys (from BATON_SIGNING_KEYS) is JSON for a string, not a JWK, a JWK ' +
        `array or a JWK Set. ${FORMATS}`,
    )
  })

  it('refuses an empty list instead of quietly generating a key', () => {
    expect(thrownFrom('[]').message).toBe(
      'createSigningKeys: keys (from BATON_SIGNING_KEYS) is an empty list. Give at least one ' +
        'private key (`npx baton-keys generate` creates one), or leave keys out to generate a ' +
        'development key.',
    )
  })

  it('refuses two keys with one kid', async () => {
    const other = { ...(await generateSigningKey('ES256')), kid: es256.kid }

    expect(thrownFrom(JSON.stringify([es256, other])).message).toBe(
      'createSigningKeys: keys[1] (from BATON_SIGNING_KEYS) has the same kid as keys[0]. ' +
        'Give every key its own kid.',
    )
  })

  it('throws when keys is neither a string nor a list', () => {
    expect(() => createSigningKeys({ keys: es256 as unknown as string })).toThrow(
      new TypeError(
        "createSigningKeys: keys must be a string (an environment variable's value) or an array " +
          'of JWKs and PEMs, got an object',
      ),
    )
  })

  it('checks its other options', () => {
    expect(() => createSigningKeys({ algorithm: 'RS256' as 'ES256' })).toThrow(
      new TypeError('createSigningKeys: algorithm must be "ES256" or "EdDSA", got "RS256"'),
    )
    expect(() => createSigningKeys({ keys: [es256], source: '' })).toThrow(
      new TypeError('createSigningKeys: source must be a non-empty string'),
    )
  })

  it('stops createBff before any request: there is nothing to answer 500 with', () => {
    expect(() =>
      createBff({
        authenticate,
        keys: createSigningKeys({ keys: '{', source: 'BATON_SIGNING_KEYS' }),
      }),
    ).toThrow(/^createSigningKeys: keys \(from BATON_SIGNING_KEYS\) is not valid JSON/)
  })
})

describe('createSigningKeys: PEM keys', () => {
  it.each([
    [
      'a public key',
      async () => {
        const { publicKey } = await generateKeyPair('ES256', { extractable: true })
        return exportSPKI(publicKey)
      },
      'is a public key PEM, and a signing key must be private. Give the PKCS#8 private key ' +
        '("-----BEGIN PRIVATE KEY-----") instead.',
    ],
    [
      'a SEC1 EC key',
      () =>
        pkcs8.replace(
          /-----(BEGIN|END) PRIVATE KEY-----/g,
          (_, edge) => `-----${edge} EC PRIVATE KEY-----`,
        ),
      'is a SEC1 "EC PRIVATE KEY" PEM, and Baton reads PKCS#8. Convert it with ' +
        '`openssl pkcs8 -topk8 -nocrypt -in key.pem`.',
    ],
    [
      'an encrypted key',
      () =>
        pkcs8.replace(
          /-----(BEGIN|END) PRIVATE KEY-----/g,
          (_, edge) => `-----${edge} ENCRYPTED PRIVATE KEY-----`,
        ),
      'is an encrypted PEM, and Baton cannot ask for its passphrase. Decrypt it with ' +
        '`openssl pkcs8 -topk8 -nocrypt -in key.pem` and keep it secret.',
    ],
    [
      'a cut-off key',
      () => pkcs8.split('\n').slice(0, 2).join('\n'),
      'is not a complete PEM (its BEGIN and END lines do not match). Paste the whole key, ' +
        '"-----BEGIN PRIVATE KEY-----" to "-----END PRIVATE KEY-----".',
    ],
    [
      'garbage between the lines',
      () => '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END PRIVATE KEY-----',
      'is not a readable PKCS#8 private key (its base64 or DER structure is damaged). Copy the ' +
        'whole key again, or create one with `npx baton-keys generate`.',
    ],
    [
      'an RSA key',
      async () => {
        const { privateKey } = await generateKeyPair('RS256', { extractable: true })
        return exportPKCS8(privateKey)
      },
      'is a private key of another type (Baton signs with P-256 or Ed25519 keys). Create one ' +
        'with `npx baton-keys generate` (a JWK), or use a PKCS#8 PEM.',
    ],
  ])('refuses %s', async (_, pem, problem) => {
    const error = thrownFrom(await pem())

    expect(error.message).toBe(`createSigningKeys: keys (from BATON_SIGNING_KEYS) ${problem}`)
  })

  it('refuses a PEM whose algorithm is not the one asked for', () => {
    expect(thrownFrom(pkcs8, { algorithm: 'EdDSA' }).message).toBe(
      'createSigningKeys: keys (from BATON_SIGNING_KEYS) is a P-256 (ES256) key, but algorithm ' +
        'is "EdDSA". Set algorithm to "ES256", or leave it out.',
    )
  })

  it('reads the algorithm from the key, and one-line PEMs with \\n escapes', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { extractable: true })
    const oneLine = (await exportPKCS8(privateKey)).trim().replace(/\n/g, '\\n')
    const h = await createHarness({ keys: createSigningKeys({ keys: oneLine }) })

    const { body } = await h.login('alice')

    expect(JSON.parse(atob(body.accessToken.split('.')[0]!))).toMatchObject({ alg: 'EdDSA' })
  })
})

describe('createSigningKeys: what it accepts and warns about', () => {
  it('accepts a JWK Set, what `baton-keys public` prints for the older keys', async () => {
    const keys = createSigningKeys({ keys: JSON.stringify({ keys: [es256, publicOnly(ed25519)] }) })

    expect((await keys.jwks()).keys.map((key) => key.kid)).toStrictEqual([es256.kid, ed25519.kid])
  })

  it('names the source in the warning when it is empty', () => {
    const logger = testLogger()

    const keys = createSigningKeys({ keys: ' ', source: 'BATON_SIGNING_KEYS', logger })

    expect(keys.ephemeral).toBe(true)
    expect(logger.warn.mock.calls).toStrictEqual([
      [
        '[baton] no signing keys configured (BATON_SIGNING_KEYS is unset or empty): generated an ' +
          'ephemeral key pair. Tokens will not verify after a restart, and several instances ' +
          'need the same keys: create them with `npx baton-keys generate`.',
      ],
    ])
  })
})

describe('createSigningKeys: a key that passes the checks but cannot be imported', () => {
  // x is well-formed base64url but no point on P-256: only Web Crypto can tell, asynchronously.
  const offCurve = () => ({ ...es256, x: 'A'.repeat(43) })

  it('rejects on first use, naming the key, the source and the fix', async () => {
    const keys = createSigningKeys({ keys: [offCurve()], source: 'BATON_SIGNING_KEYS' })

    await expect(keys.jwks()).rejects.toThrow(
      new TypeError(
        'createSigningKeys: keys[0] (from BATON_SIGNING_KEYS) could not be imported (Invalid ' +
          'keyData). Copy the key again, or create a key set with `npx baton-keys generate`.',
      ),
    )
  })

  it('answers the JWKS route with 500 internal and logs that message', async () => {
    const h = await createHarness({ keys: createSigningKeys({ keys: [offCurve()] }) })

    const res = await h.send('/.well-known/jwks.json')

    await expectError(res, 500, 'internal')
    expect(h.logger.error).toHaveBeenCalledTimes(1)
    expect(String(h.logger.error.mock.calls[0]!.at(-1))).toContain(
      'createSigningKeys: keys[0] could not be imported',
    )
  })
})
