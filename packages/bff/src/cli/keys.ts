/**
 * @module
 * `baton-keys`: creates, rotates and publishes the signing keys that `createSigningKeys({ keys })`
 * reads, usually from `BATON_SIGNING_KEYS`. Every key set it prints is one line of JSON, ready
 * for an environment variable; notes for the operator go to stderr, so stdout can be piped.
 * The logic is here, behind {@link main}, so tests run it in-process; `baton-keys.ts` is the
 * executable that hands it the real process.
 */
import { parseArgs } from 'node:util'
import type { JWK } from 'jose'
import { importKeys, publishedKeys } from '../tokens/key-import.js'
import { parseKeyInput } from '../tokens/key-input.js'
import { generateSigningKey, type SigningAlgorithm } from '../tokens/keys.js'

/**
 * What {@link main} reads and writes: the process, or a test's stand-ins.
 *
 * @example
 * ```ts
 * let out = ''
 * const io: KeysCliIo = {
 *   stdout: (text) => void (out += text),
 *   stderr: () => {},
 *   readStdin: async () => process.env.BATON_SIGNING_KEYS ?? '',
 *   stdinIsTTY: false,
 *   env: {},
 * }
 * await main(['rotate'], io)
 * ```
 */
export interface KeysCliIo {
  /** Writes to standard output (key sets). */
  stdout: (text: string) => void
  /** Writes to standard error (usage, notes, errors). */
  stderr: (text: string) => void
  /** Reads all of standard input. */
  readStdin: () => Promise<string>
  /** Whether standard input is a terminal: then nothing was piped in, and reading would hang. */
  stdinIsTTY: boolean
  /** The environment, for `--env NAME`. */
  env: Readonly<Record<string, string | undefined>>
}

/** Exit codes: 0 done, 1 the key set could not be used, 2 the command line was wrong. */
type ExitCode = 0 | 1 | 2

/**
 * The help text `baton-keys help` prints (and every command line mistake, after its message).
 *
 * @example
 * ```ts
 * process.stdout.write(USAGE)
 * ```
 */
export const USAGE = `Usage: baton-keys <command> [options]

Signing keys for @baton/bff, in the form createSigningKeys({ keys }) reads (BATON_SIGNING_KEYS).

Commands:
  generate [--alg ES256|EdDSA]
      Print a new key set: a JSON array holding one private JWK.
  rotate [--alg ES256|EdDSA] [--keep N] [--env NAME]
      Read the current key set (stdin, or the environment variable NAME) and print a new one:
      a fresh private key first, which signs from now on, then the current keys as public
      keys, so tokens they signed still verify until they expire. --keep N keeps only the N
      newest of them.
  public [--env NAME]
      Read a key set and print its public JWK Set, for services that verify tokens with
      requireAuth({ jwks }).

Examples:
  npx baton-keys generate > signing-keys.json
  BATON_SIGNING_KEYS="$(npx baton-keys rotate --env BATON_SIGNING_KEYS)"
`

/** A command line mistake: usage follows the message, and the exit code is 2. */
class UsageError extends Error {
  override readonly name = 'UsageError'
}

const OPTIONS = {
  alg: { type: 'string' },
  keep: { type: 'string' },
  env: { type: 'string' },
} as const

/** Each command and the options it takes. */
const COMMANDS = {
  generate: ['alg'],
  rotate: ['alg', 'keep', 'env'],
  public: ['env'],
} as const satisfies Record<string, readonly (keyof typeof OPTIONS)[]>

type Command = keyof typeof COMMANDS

const isCommand = (value: string | undefined): value is Command =>
  value !== undefined && Object.hasOwn(COMMANDS, value)

const line = (value: unknown) => `${JSON.stringify(value)}\n`

function algorithm(command: Command, value: string | undefined): SigningAlgorithm {
  if (value === undefined || value === 'ES256' || value === 'EdDSA') return value ?? 'ES256'
  throw new UsageError(`baton-keys ${command}: --alg must be ES256 or EdDSA, got "${value}"`)
}

function keepCount(value: string | undefined): number {
  if (value === undefined) return Infinity
  if (!/^\d+$/.test(value)) {
    throw new UsageError(`baton-keys rotate: --keep must be a whole number, got "${value}"`)
  }
  return Number(value)
}

function rotationNote(kid: string, kept: number): string {
  const signs = `new key ${kid} signs from now on`
  if (kept === 0)
    return `${signs}; no older key kept, so access tokens signed before the deploy stop verifying.`
  return (
    `${signs}; kept ${kept} older ${kept === 1 ? 'key' : 'keys'} as public keys, so the tokens ` +
    'they signed verify until they expire. Once accessTokenTtl has passed after the deploy, ' +
    'drop them with --keep 0.'
  )
}

/** The current key set, from `--env NAME` or stdin, with where it came from. */
async function readKeySet(command: Command, envName: string | undefined, io: KeysCliIo) {
  if (envName !== undefined) {
    const text = io.env[envName]
    if (text === undefined || text.trim() === '') {
      throw new Error(
        `baton-keys ${command}: the environment variable ${envName} is empty or unset`,
      )
    }
    return { text, source: envName }
  }
  // Reading a terminal would wait for the user to type a key set, which nobody expects.
  if (io.stdinIsTTY) {
    throw new UsageError(
      `baton-keys ${command}: reads the key set from stdin or --env NAME, and stdin is a terminal`,
    )
  }
  const text = await io.readStdin()
  if (text.trim() === '') throw new Error(`baton-keys ${command}: stdin is empty`)
  return { text, source: 'stdin' }
}

/** The public JWKs of a key set, as the BFF would publish them. */
async function publicKeys(command: Command, text: string, source: string): Promise<JWK[]> {
  const prefix = `baton-keys ${command}: `
  // Any key may be public here: `rotate` and `public` only need the public halves.
  const entries = parseKeyInput(text, {
    prefix,
    source,
    algorithm: undefined,
    requirePrivateFirst: false,
  })
  return publishedKeys(await importKeys(entries, prefix, source))
}

async function run(command: Command, args: readonly string[], io: KeysCliIo): Promise<void> {
  const { values: options } = parseArgs({ args: [...args], options: OPTIONS, strict: true })
  const allowed: readonly string[] = COMMANDS[command]
  for (const name of Object.keys(options)) {
    if (!allowed.includes(name)) {
      throw new UsageError(`baton-keys ${command}: --${name} is not an option of ${command}`)
    }
  }
  switch (command) {
    case 'generate':
      io.stdout(line([await generateSigningKey(algorithm(command, options.alg))]))
      return
    case 'rotate': {
      const alg = algorithm(command, options.alg)
      const keep = keepCount(options.keep)
      const { text, source } = await readKeySet(command, options.env, io)
      // Retired keys stay only as public keys: they still verify the tokens they signed, and
      // their private halves, which nothing needs any more, leave the environment.
      const previous = (await publicKeys(command, text, source)).slice(0, keep)
      const fresh = await generateSigningKey(alg)
      io.stdout(line([fresh, ...previous]))
      io.stderr(`baton-keys rotate: ${rotationNote(fresh.kid!, previous.length)}\n`)
      return
    }
    case 'public': {
      const { text, source } = await readKeySet(command, options.env, io)
      io.stdout(line({ keys: await publicKeys(command, text, source) }))
      return
    }
  }
}

/**
 * Runs `baton-keys` with `args` (the command line after the program name) and returns the exit
 * code: 0 done, 1 the key set could not be read or used, 2 the command line was wrong.
 *
 * @example
 * ```ts
 * const code = await main(['generate', '--alg', 'EdDSA'], {
 *   stdout: (text) => process.stdout.write(text),
 *   stderr: (text) => process.stderr.write(text),
 *   readStdin: async () => '',
 *   stdinIsTTY: true,
 *   env: process.env,
 * })
 * ```
 */
export async function main(args: readonly string[], io: KeysCliIo): Promise<ExitCode> {
  const [command, ...rest] = args
  if (command === 'help' || command === '--help' || command === '-h') {
    io.stdout(USAGE)
    return 0
  }
  if (!isCommand(command)) {
    io.stderr(
      `${command === undefined ? 'baton-keys: a command is required' : `baton-keys: unknown command "${command}"`}\n\n${USAGE}`,
    )
    return 2
  }
  try {
    await run(command, rest, io)
    return 0
  } catch (error) {
    // parseArgs throws TypeErrors with a `code` such as ERR_PARSE_ARGS_UNKNOWN_OPTION.
    const isArgsError =
      error instanceof TypeError &&
      'code' in error &&
      String(error.code).startsWith('ERR_PARSE_ARGS')
    if (error instanceof UsageError || isArgsError) {
      const message = error.message.startsWith('baton-keys')
        ? error.message
        : `baton-keys ${command}: ${error.message}`
      io.stderr(`${message}\n\n${USAGE}`)
      return 2
    }
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  }
}

/**
 * @internal The real process as {@link KeysCliIo}. Standard input is read whole; a key set is a
 * few kilobytes, and anything past 1 MiB is refused rather than buffered.
 */
export function processIo(): KeysCliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stdinIsTTY: process.stdin.isTTY === true,
    env: process.env,
    async readStdin() {
      const chunks: Buffer[] = []
      let size = 0
      for await (const chunk of process.stdin) {
        const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk))
        size += buffer.length
        if (size > 1024 * 1024) throw new Error('baton-keys: stdin holds more than 1 MiB')
        chunks.push(buffer)
      }
      return Buffer.concat(chunks).toString('utf8')
    },
  }
}
