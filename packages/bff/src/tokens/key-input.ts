/**
 * @module
 * The checks `createSigningKeys()` runs on its `keys` before anything else: what an environment
 * variable can hold (a JWK array, one JWK, a JWK Set, a PEM) is parsed and every key is checked
 * for shape, type, curve, algorithm and, for the first, a private part. Each mistake is a
 * `TypeError` that names the key and says how to fix it, thrown at start-up: Web Crypto imports
 * keys asynchronously, so without these checks a bad key would only fail the first login.
 * @internal
 */
import type { JWK } from 'jose'
import type { SigningAlgorithm } from './keys.js'
import { readPem } from './pem.js'

/** @internal A key that passed the checks, ready for jose to import. */
export type KeyEntry =
  | { kind: 'jwk'; jwk: JWK; alg: SigningAlgorithm; isPrivate: boolean; name: string }
  | { kind: 'pem'; pem: string; alg: SigningAlgorithm; isPrivate: true; name: string }

/** @internal How messages name the input, and what it must hold. */
export interface KeyInputContext {
  /** What the message starts with, e.g. `'createSigningKeys: '`. */
  prefix: string
  /** Where the value came from (an environment variable), named in every message. */
  source: string | undefined
  /** The algorithm the application asked for, which a PEM must match. */
  algorithm: SigningAlgorithm | undefined
  /** Whether the first key must be private (it signs), as it must for a key ring. */
  requirePrivateFirst: boolean
}

const GENERATE = 'Create a key set with `npx baton-keys generate`.'
const FORMATS =
  'Expected a JSON array of JWKs (what `npx baton-keys generate` prints), one JWK, a JWK Set ' +
  '{ "keys": [...] }, or a PKCS#8 PEM.'
const SUPPORTED =
  'Baton signs with ES256 (kty "EC", crv "P-256") or EdDSA (kty "OKP", crv "Ed25519")'

/** 32 bytes in unpadded base64url: every coordinate and private scalar of P-256 and Ed25519. */
const BYTES_32 = /^[A-Za-z0-9_-]{43}$/

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

// Only short, public metadata (kty, crv, alg, use, a PEM label) is ever quoted, and cut short:
// the value may be anything, and must not flood a log line.
const quote = (value: unknown) => JSON.stringify(String(value).slice(0, 40))

const describe = (value: unknown) =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : `${typeof value === 'object' || typeof value === 'undefined' ? 'an' : 'a'} ${typeof value}`

/** @internal Parses and checks `keys`; throws a `TypeError` naming the first bad key. */
export function parseKeyInput(keys: unknown, context: KeyInputContext): KeyEntry[] {
  const from = context.source === undefined ? '' : ` (from ${context.source})`
  const fail = (name: string, problem: string, fix: string) =>
    new TypeError(`${context.prefix}${name}${from} ${problem}. ${fix}`)

  function checkJwk(jwk: Record<string, unknown>, name: string): KeyEntry {
    const { kty, crv, alg, use, kid, d } = jwk
    if (typeof kty !== 'string') throw fail(name, 'is not a JWK (it has no "kty")', FORMATS)
    let expected: SigningAlgorithm
    if (kty === 'EC' && crv === 'P-256') expected = 'ES256'
    else if (kty === 'OKP' && crv === 'Ed25519') expected = 'EdDSA'
    else {
      const curve = crv === undefined ? 'no "crv"' : `crv ${quote(crv)}`
      const type =
        kty === 'EC' || kty === 'OKP' ? `kty ${quote(kty)} and ${curve}` : `kty ${quote(kty)}`
      throw fail(name, `has ${type}, and ${SUPPORTED}`, GENERATE)
    }
    // RFC 9864 names the Ed25519 algorithm "Ed25519"; "EdDSA" is the older, polymorphic name.
    const fits =
      alg === undefined || alg === expected || (expected === 'EdDSA' && alg === 'Ed25519')
    if (!fits) {
      throw fail(
        name,
        `has alg ${quote(alg)}, which does not fit its kty ${quote(kty)} and crv ${quote(crv)}`,
        `Set alg to "${expected}", or leave it out.`,
      )
    }
    if (use !== undefined && use !== 'sig') {
      throw fail(
        name,
        `has use ${quote(use)}, and a signing key has use "sig"`,
        'Set use to "sig", or leave it out.',
      )
    }
    const members = expected === 'ES256' ? ['x', 'y'] : ['x']
    if (d !== undefined) members.push('d')
    for (const member of members) {
      if (typeof jwk[member] !== 'string' || !BYTES_32.test(jwk[member])) {
        throw fail(
          name,
          `has a missing or malformed "${member}" (expected the base64url of 32 bytes)`,
          `Copy the key again. ${GENERATE}`,
        )
      }
    }
    if (kid !== undefined && (typeof kid !== 'string' || kid === '')) {
      throw fail(
        name,
        'has a "kid" that is not a non-empty string',
        'Fix the kid, or leave it out.',
      )
    }
    return { kind: 'jwk', jwk, alg: expected, isPrivate: d !== undefined, name }
  }

  function checkPem(text: string, name: string): KeyEntry {
    const pem = readPem(text)
    if (!pem.ok) throw fail(name, pem.problem, pem.fix)
    if (context.algorithm !== undefined && context.algorithm !== pem.alg) {
      throw fail(
        name,
        `is ${pem.alg === 'ES256' ? 'a P-256 (ES256)' : 'an Ed25519 (EdDSA)'} key, but algorithm is "${context.algorithm}"`,
        `Set algorithm to "${pem.alg}", or leave it out.`,
      )
    }
    return { kind: 'pem', pem: pem.pem, alg: pem.alg, isPrivate: true, name }
  }

  const looksLikePem = (text: string) => text.trimStart().startsWith('-----BEGIN')

  function checkEntry(value: unknown, name: string): KeyEntry {
    if (isRecord(value)) return checkJwk(value, name)
    if (typeof value !== 'string') {
      throw fail(name, `is ${describe(value)}, not a JWK or a PEM`, FORMATS)
    }
    if (looksLikePem(value)) return checkPem(value, name)
    let parsed: unknown
    try {
      parsed = JSON.parse(value)
    } catch {
      throw fail(name, 'is a string that is neither a JWK in JSON nor a PEM', FORMATS)
    }
    if (!isRecord(parsed)) throw fail(name, `is JSON for ${describe(parsed)}, not a JWK`, FORMATS)
    return checkJwk(parsed, name)
  }

  function checkList(list: readonly unknown[]): KeyEntry[] {
    if (list.length === 0) {
      throw fail(
        'keys',
        'is an empty list',
        'Give at least one private key (`npx baton-keys generate` creates one), or leave keys ' +
          'out to generate a development key.',
      )
    }
    const entries = list.map((value, i) => checkEntry(value, `keys[${i}]`))
    const seen = new Map<string, string>()
    for (const entry of entries) {
      const kid = entry.kind === 'jwk' ? entry.jwk.kid : undefined
      if (kid === undefined) continue
      const first = seen.get(kid)
      if (first !== undefined) {
        throw fail(entry.name, `has the same kid as ${first}`, 'Give every key its own kid.')
      }
      seen.set(kid, entry.name)
    }
    return entries
  }

  function checkText(text: string): KeyEntry[] {
    if (looksLikePem(text)) return [checkPem(text, 'keys')]
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      // The parser's own message is left out on purpose: V8 quotes the text it choked on, and
      // this text is a private key.
      const quoted = /^['"]/.test(text)
        ? ' (it starts with a quote: remove the quotes around the value)'
        : ''
      throw fail('keys', `is not valid JSON, nor a PEM${quoted}`, FORMATS)
    }
    if (Array.isArray(parsed)) return checkList(parsed)
    // A JWK Set (RFC 7517 §5), what `npx baton-keys public` prints and some tools export.
    if (isRecord(parsed) && parsed.kty === undefined && Array.isArray(parsed.keys)) {
      return checkList(parsed.keys)
    }
    if (isRecord(parsed)) return [checkJwk(parsed, 'keys')]
    throw fail(
      'keys',
      `is JSON for ${describe(parsed)}, not a JWK, a JWK array or a JWK Set`,
      FORMATS,
    )
  }

  let entries: KeyEntry[]
  if (typeof keys === 'string') entries = checkText(keys.trim())
  else if (Array.isArray(keys)) entries = checkList(keys)
  else {
    throw new TypeError(
      `${context.prefix}keys must be a string (an environment variable's value) or an array of ` +
        `JWKs and PEMs, got ${describe(keys)}`,
    )
  }
  const first = entries[0]!
  if (context.requirePrivateFirst && !first.isPrivate) {
    throw fail(
      first.name,
      'is a public key (it has no "d"), and the first key signs new tokens',
      'Put a private JWK first; the keys after it may be public. ' +
        '`npx baton-keys rotate` puts a new private key in front of the ones you have.',
    )
  }
  return entries
}
