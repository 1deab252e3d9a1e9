/**
 * `baton-keys`, run in-process through its `main`: what it prints, byte for byte in shape, and
 * that what it prints is what `createSigningKeys()` and a rotated BFF accept.
 */
import { calculateJwkThumbprint, decodeProtectedHeader, type JWK } from 'jose'
import { describe, expect, it } from 'vitest'
import { main, USAGE } from '../src/cli/keys.js'
import { createSigningKeys, memoryStore } from '../src/index.js'
import { createHarness } from './helpers.js'

interface Run {
  stdin?: string
  tty?: boolean
  env?: Record<string, string>
}

/** Runs the command line `args` and collects exit code and both streams. */
async function run(args: string[], { stdin, tty = stdin === undefined, env = {} }: Run = {}) {
  let stdout = ''
  let stderr = ''
  const code = await main(args, {
    stdout: (text) => {
      stdout += text
    },
    stderr: (text) => {
      stderr += text
    },
    readStdin: () => Promise.resolve(stdin ?? ''),
    stdinIsTTY: tty,
    env,
  })
  return { code, stdout, stderr }
}

/** The one line of JSON a command printed. */
function printed(stdout: string): unknown {
  expect(stdout.endsWith('\n')).toBe(true)
  expect(stdout.slice(0, -1)).not.toContain('\n')
  return JSON.parse(stdout)
}

/** Any 32 bytes in unpadded base64url: a coordinate, a private scalar, a thumbprint. */
const B64_32: unknown = expect.stringMatching(/^[A-Za-z0-9_-]{43}$/)

async function generated(alg = 'ES256') {
  const { stdout } = await run(['generate', '--alg', alg])
  return printed(stdout) as JWK[]
}

const publicOf = ({ d: _d, ...jwk }: JWK): JWK => ({ ...jwk, use: 'sig' })

describe('baton-keys generate', () => {
  it('prints one line: a JSON array holding one private ES256 JWK, kid = its thumbprint', async () => {
    const { code, stdout, stderr } = await run(['generate'])

    const keys = printed(stdout) as JWK[]
    expect({ code, stderr }).toStrictEqual({ code: 0, stderr: '' })
    expect(keys).toStrictEqual([
      { kty: 'EC', crv: 'P-256', x: B64_32, y: B64_32, d: B64_32, alg: 'ES256', kid: B64_32 },
    ])
    const { d: _d, kid: _kid, alg: _alg, ...publicJwk } = keys[0]!
    expect(keys[0]!.kid).toBe(await calculateJwkThumbprint(publicJwk))
  })

  it('prints an Ed25519 key with --alg EdDSA', async () => {
    expect(await generated('EdDSA')).toStrictEqual([
      { kty: 'OKP', crv: 'Ed25519', x: B64_32, d: B64_32, alg: 'EdDSA', kid: B64_32 },
    ])
  })

  it('prints what BATON_SIGNING_KEYS takes: a BFF signs with it, under its kid', async () => {
    const { stdout } = await run(['generate'])
    const h = await createHarness({
      keys: createSigningKeys({ keys: stdout, source: 'BATON_SIGNING_KEYS' }),
    })

    const { body } = await h.login('alice')

    expect(decodeProtectedHeader(body.accessToken).kid).toBe((printed(stdout) as JWK[])[0]!.kid)
  })

  it('refuses another algorithm with usage, exit code 2', async () => {
    expect(await run(['generate', '--alg', 'RS256'])).toStrictEqual({
      code: 2,
      stdout: '',
      stderr: `baton-keys generate: --alg must be ES256 or EdDSA, got "RS256"\n\n${USAGE}`,
    })
  })

  it('refuses an option of another command', async () => {
    expect(await run(['generate', '--env', 'X'])).toStrictEqual({
      code: 2,
      stdout: '',
      stderr: `baton-keys generate: --env is not an option of generate\n\n${USAGE}`,
    })
  })

  it('refuses an unknown option, naming the command', async () => {
    const { code, stdout, stderr } = await run(['generate', '--pretty'])

    expect({ code, stdout }).toStrictEqual({ code: 2, stdout: '' })
    expect(stderr).toMatch(/^baton-keys generate: Unknown option '--pretty'/)
    expect(stderr.endsWith(`\n\n${USAGE}`)).toBe(true)
  })
})

describe('baton-keys rotate', () => {
  it('puts a fresh private key first and keeps the current ones as public keys', async () => {
    const current = await generated()

    const { code, stdout, stderr } = await run(['rotate'], { stdin: JSON.stringify(current) })

    const rotated = printed(stdout) as JWK[]
    expect(code).toBe(0)
    expect(rotated).toStrictEqual([
      { kty: 'EC', crv: 'P-256', x: B64_32, y: B64_32, d: B64_32, alg: 'ES256', kid: B64_32 },
      publicOf(current[0]!),
    ])
    expect(rotated[0]!.kid).not.toBe(current[0]!.kid)
    expect(stderr).toBe(
      `baton-keys rotate: new key ${rotated[0]!.kid} signs from now on; kept 1 older key as ` +
        'public keys, so the tokens they signed verify until they expire. Once accessTokenTtl ' +
        'has passed after the deploy, drop them with --keep 0.\n',
    )
  })

  it('keeps tokens of the old key verifying on the rotated deployment, and signs with the new', async () => {
    const current = await generated()
    const { stdout } = await run(['rotate'], { stdin: JSON.stringify(current) })
    const store = memoryStore({ sweepInterval: 0 })
    const before = await createHarness({ keys: createSigningKeys({ keys: current }), store })
    const after = await createHarness({ keys: createSigningKeys({ keys: stdout }), store })
    const old = await before.login('alice')

    const listed = await after.listSessions(old.body.accessToken)
    const { body } = await after.refreshOk(old.cookie)

    expect(listed.status).toBe(200)
    expect(decodeProtectedHeader(body.accessToken).kid).toBe((printed(stdout) as JWK[])[0]!.kid)
  })

  it('reads the current set from --env NAME, and rotates again newest first', async () => {
    const first = await generated('EdDSA')
    const second = printed((await run(['rotate'], { stdin: JSON.stringify(first) })).stdout)

    const { code, stdout } = await run(
      ['rotate', '--alg', 'EdDSA', '--env', 'BATON_SIGNING_KEYS'],
      {
        env: { BATON_SIGNING_KEYS: JSON.stringify(second) },
      },
    )

    const third = printed(stdout) as JWK[]
    expect(code).toBe(0)
    expect(third.map((key) => [key.kid, 'd' in key])).toStrictEqual([
      [third[0]!.kid, true],
      [(second as JWK[])[0]!.kid, false],
      [first[0]!.kid, false],
    ])
  })

  it('keeps only the N newest older keys with --keep N', async () => {
    const set = [(await generated())[0]!, publicOf((await generated())[0]!)]

    const one = printed(
      (await run(['rotate', '--keep', '1'], { stdin: JSON.stringify(set) })).stdout,
    )
    const none = await run(['rotate', '--keep', '0'], { stdin: JSON.stringify(set) })

    expect((one as JWK[]).map((key) => key.kid).slice(1)).toStrictEqual([set[0]!.kid])
    expect(printed(none.stdout)).toHaveLength(1)
    expect(none.stderr).toMatch(
      /; no older key kept, so access tokens signed before the deploy stop verifying\.\n$/,
    )
  })

  it('says where to put the current set when stdin is a terminal', async () => {
    expect(await run(['rotate'], { tty: true })).toStrictEqual({
      code: 2,
      stdout: '',
      stderr:
        'baton-keys rotate: reads the key set from stdin or --env NAME, and stdin is a ' +
        `terminal\n\n${USAGE}`,
    })
  })

  it('names an empty variable or stdin, exit code 1', async () => {
    expect(await run(['rotate', '--env', 'BATON_SIGNING_KEYS'])).toStrictEqual({
      code: 1,
      stdout: '',
      stderr: 'baton-keys rotate: the environment variable BATON_SIGNING_KEYS is empty or unset\n',
    })
    expect(await run(['rotate'], { stdin: '\n' })).toStrictEqual({
      code: 1,
      stdout: '',
      stderr: 'baton-keys rotate: stdin is empty\n',
    })
  })

  it('refuses a malformed set with the message createSigningKeys would give, naming the source', async () => {
    expect(
      await run(['rotate', '--env', 'BATON_SIGNING_KEYS'], {
        env: { BATON_SIGNING_KEYS: '{"kty":"RSA"}' },
      }),
    ).toStrictEqual({
      code: 1,
      stdout: '',
      stderr:
        'baton-keys rotate: keys (from BATON_SIGNING_KEYS) has kty "RSA", and Baton signs with ' +
        'ES256 (kty "EC", crv "P-256") or EdDSA (kty "OKP", crv "Ed25519"). Create a key set ' +
        'with `npx baton-keys generate`.\n',
    })
  })

  it('refuses a --keep that is not a whole number', async () => {
    const { code, stderr } = await run(['rotate', '--keep', 'all'], { stdin: '[]' })

    expect(code).toBe(2)
    expect(stderr).toBe(`baton-keys rotate: --keep must be a whole number, got "all"\n\n${USAGE}`)
  })
})

describe('baton-keys public', () => {
  it('prints the JWK Set the BFF publishes for the same keys', async () => {
    const set = JSON.stringify([...(await generated()), publicOf((await generated('EdDSA'))[0]!)])

    const { code, stdout, stderr } = await run(['public'], { stdin: set })

    expect({ code, stderr }).toStrictEqual({ code: 0, stderr: '' })
    expect(printed(stdout)).toStrictEqual(await createSigningKeys({ keys: set }).jwks())
    expect(stdout).not.toContain('"d"')
  })
})

describe('baton-keys usage', () => {
  it('prints usage on help, exit code 0', async () => {
    expect(await run(['--help'])).toStrictEqual({ code: 0, stdout: USAGE, stderr: '' })
  })

  it('asks for a command, exit code 2', async () => {
    expect(await run([])).toStrictEqual({
      code: 2,
      stdout: '',
      stderr: `baton-keys: a command is required\n\n${USAGE}`,
    })
    expect(await run(['make'])).toStrictEqual({
      code: 2,
      stdout: '',
      stderr: `baton-keys: unknown command "make"\n\n${USAGE}`,
    })
  })
})
