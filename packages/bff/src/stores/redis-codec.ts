/**
 * @module
 * A `StoredSession` as the fields of a Redis hash. A null value is an absent field, so
 * `HEXISTS revokedAt` is the revocation test and the Lua scripts never parse sentinel strings.
 * `user` is JSON: its claims must be JSON values.
 *
 * Redis keeps a small hash as one compact listpack only while every value fits in
 * `hash-max-listpack-value` bytes (64 by default): a single longer value (a browser's User-Agent,
 * a user object) turns the whole hash into a hashtable of about twice the memory (1,720 against
 * 856 bytes for a refreshed session with a real browser's User-Agent). So the values without a
 * bound of their own are stored in pieces of at most 64 bytes: `field`, `field#1`, `field#2`…,
 * the first marked with a leading {@link PIECED_MARK}. Only the mark makes the pieces count: a
 * value written whole (by an earlier version, during a rolling upgrade too) reads as it is, and
 * pieces it left behind are ignored, then dropped by the next rotation. A value too long to keep
 * the hash compact anyway (over {@link MAX_PIECES} pieces) is stored whole.
 * @internal
 */
import { isRevocationReason, type SessionRotation, type StoredSession } from './types.js'

const STRINGS = ['id', 'userId', 'tokenKey', 'tokenHash'] as const
const NUMBERS = ['createdAt', 'lastUsedAt', 'expiresAt', 'idleExpiresAt', 'generation'] as const
const NULLABLE_STRINGS = ['userAgent', 'ip', 'previousTokenHash', 'sealedSuccessor'] as const
const NULLABLE_NUMBERS = ['rotatedAt', 'revokedAt'] as const
/** @internal The fields a rotation writes, in a fixed order. */
export const ROTATION_FIELDS = [
  'tokenHash',
  'previousTokenHash',
  'rotatedAt',
  'sealedSuccessor',
  'generation',
  'lastUsedAt',
  'idleExpiresAt',
  'ip',
  'userAgent',
  'authTime',
  'amr',
  'acr',
] as const satisfies readonly (keyof SessionRotation)[]

/** The fields whose values have no length bound of their own: stored in pieces. */
const PIECED = new Set<string>(['user', 'userAgent', 'amr', 'acr'])
/** Redis's default `hash-max-listpack-value`, in bytes. */
const PIECE_BYTES = 64
/**
 * Four pieced fields of this many pieces and the others stay under Redis's default
 * `hash-max-listpack-entries` (128), and each script's arguments stay few.
 */
const MAX_PIECES = 16
/** Starts the first piece of a value stored in pieces; no User-Agent or JSON starts with it. */
const PIECED_MARK = '\u0001'

/** `value` cut into pieces of at most {@link PIECE_BYTES} UTF-8 bytes, never inside a character. */
function pieces(value: string): string[] {
  const cut: string[] = []
  let start = 0
  let bytes = 0
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    // A surrogate pair is one 4-byte character: counted at its first half, cut around both.
    const next = value.charCodeAt(i + 1)
    const pair = code >= 0xd800 && code < 0xdc00 && next >= 0xdc00 && next < 0xe000
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : pair ? 4 : 3
    if (bytes + size > PIECE_BYTES) {
      cut.push(value.slice(start, i))
      start = i
      bytes = 0
    }
    bytes += size
    if (pair) i++
  }
  cut.push(value.slice(start))
  return cut
}

/** The name of `field`'s piece `index` (the first piece keeps the field's own name). */
const pieceName = (field: string, index: number) => (index === 0 ? field : `${field}#${index}`)

/** Appends `field`'s value to `pairs`, in pieces if it is one of {@link PIECED}; returns their count. */
function pushField(pairs: string[], field: string, value: string): number {
  // A value that fits one piece is stored as it is, unless it starts like a marked one.
  const marked = value.startsWith(PIECED_MARK)
  if (PIECED.has(field) && (marked || Buffer.byteLength(value) > PIECE_BYTES)) {
    const cut = pieces(PIECED_MARK + value)
    if (cut.length <= MAX_PIECES || marked) {
      cut.forEach((piece, index) => pairs.push(pieceName(field, index), piece))
      return cut.length
    }
  }
  pairs.push(field, value)
  return 1
}

/**
 * @internal Field/value pairs to `HSET`, the fields to drop because they are null, and, for each
 * pieced field, its name and the number of pieces it now has: the script drops the pieces from
 * there on that a longer value left behind.
 */
export interface EncodedFields {
  set: string[]
  unset: string[]
  trim: string[]
}

const encodeValue = (value: string | number | readonly string[]): string =>
  // String(number) round-trips every double exactly, so epoch ms come back equal.
  typeof value === 'number'
    ? String(value)
    : typeof value === 'string'
      ? value
      : JSON.stringify(value)

/** @internal */
export function encodeSession(session: StoredSession): string[] {
  const pairs: string[] = []
  pushField(pairs, 'user', JSON.stringify(session.user))
  for (const field of [...STRINGS, ...NUMBERS]) pairs.push(field, encodeValue(session[field]))
  for (const field of [...NULLABLE_STRINGS, ...NULLABLE_NUMBERS, 'revokedReason'] as const) {
    const value = session[field]
    if (value !== null) pushField(pairs, field, encodeValue(value))
  }
  pairs.push('authTime', encodeValue(session.authTime))
  pushField(pairs, 'amr', encodeValue(session.amr))
  if (session.acr !== null) pushField(pairs, 'acr', session.acr)
  if (session.jkt !== null) pairs.push('jkt', session.jkt)
  return pairs
}

/** @internal */
export function encodeRotation(rotation: SessionRotation): EncodedFields {
  const encoded: EncodedFields = { set: [], unset: [], trim: [] }
  for (const field of ROTATION_FIELDS) {
    const value = rotation[field]
    const count = value === null ? 0 : pushField(encoded.set, field, encodeValue(value))
    if (value === null) encoded.unset.push(field)
    if (PIECED.has(field)) encoded.trim.push(field, String(count))
  }
  return encoded
}

/**
 * @internal An `HGETALL` reply as an object: ioredis answers an object for the command itself and
 * a flat array when a script returns it.
 */
export function pairsToRecord(reply: unknown): Record<string, string> {
  const record: Record<string, string> = {}
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const [field, value] = [reply[i] as unknown, reply[i + 1] as unknown]
      if (typeof field === 'string' && typeof value === 'string') record[field] = value
    }
  } else if (typeof reply === 'object' && reply !== null) {
    for (const [field, value] of Object.entries(reply)) {
      if (typeof value === 'string') record[field] = value
    }
  }
  return record
}

const corrupt = (field: string): Error =>
  new Error(`redis store: session record has a missing or malformed "${field}"`)

function number(fields: Record<string, string>, field: string): number {
  const value = Number(fields[field] ?? Number.NaN)
  if (!Number.isFinite(value)) throw corrupt(field)
  return value
}

/** `fields` with each pieced value whole again, under its field's own name. */
function joinPieces(fields: Record<string, string>): Record<string, string> {
  let joined = fields
  for (const field of PIECED) {
    let value = fields[field]
    if (value === undefined || !value.startsWith(PIECED_MARK)) continue
    value = value.slice(PIECED_MARK.length)
    for (let index = 1; fields[pieceName(field, index)] !== undefined; index++) {
      value += fields[pieceName(field, index)]!
    }
    if (joined === fields) joined = { ...fields }
    joined[field] = value
  }
  return joined
}

/**
 * @internal The session in a hash, or `null` for an empty one (Redis's answer for a missing key).
 * A hash that is present but malformed throws: silently dropping it would look like a logout.
 */
export function decodeSession(stored: Record<string, string>): StoredSession | null {
  if (Object.keys(stored).length === 0) return null
  const fields = joinPieces(stored)
  const string = (field: string): string => {
    const value = fields[field]
    if (value === undefined) throw corrupt(field)
    return value
  }
  const optional = (field: string): string | null => fields[field] ?? null
  const optionalNumber = (field: string): number | null =>
    fields[field] === undefined ? null : number(fields, field)

  const user: unknown = JSON.parse(string('user'))
  if (
    typeof user !== 'object' ||
    user === null ||
    typeof (user as { id?: unknown }).id !== 'string'
  )
    throw corrupt('user')
  const reason = optional('revokedReason')
  if (reason !== null && !isRevocationReason(reason)) throw corrupt('revokedReason')
  // Records written before step-up existed have neither field: their one proof of credentials
  // was the password login that created them.
  const amr: unknown = fields.amr === undefined ? ['pwd'] : JSON.parse(fields.amr)
  if (!Array.isArray(amr) || !amr.every((method) => typeof method === 'string')) {
    throw corrupt('amr')
  }
  const createdAt = number(fields, 'createdAt')

  return {
    id: string('id'),
    userId: string('userId'),
    user: user as StoredSession['user'],
    createdAt,
    lastUsedAt: number(fields, 'lastUsedAt'),
    expiresAt: number(fields, 'expiresAt'),
    idleExpiresAt: number(fields, 'idleExpiresAt'),
    userAgent: optional('userAgent'),
    ip: optional('ip'),
    tokenKey: string('tokenKey'),
    tokenHash: string('tokenHash'),
    previousTokenHash: optional('previousTokenHash'),
    rotatedAt: optionalNumber('rotatedAt'),
    sealedSuccessor: optional('sealedSuccessor'),
    generation: number(fields, 'generation'),
    revokedAt: optionalNumber('revokedAt'),
    revokedReason: reason,
    authTime: fields.authTime === undefined ? createdAt : number(fields, 'authTime'),
    amr,
    acr: optional('acr'),
    // Absent for an unbound session, and in records written before binding existed.
    jkt: optional('jkt'),
  }
}
