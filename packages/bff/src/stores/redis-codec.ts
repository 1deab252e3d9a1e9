/**
 * @module
 * A `StoredSession` as the fields of a Redis hash. A null value is an absent field, so
 * `HEXISTS revokedAt` is the revocation test and the Lua scripts never parse sentinel strings.
 * `user` is JSON: its claims must be JSON values.
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

/** @internal Field/value pairs to `HSET`, and the fields to drop because they are null. */
export interface EncodedFields {
  set: string[]
  unset: string[]
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
  const pairs: string[] = ['user', JSON.stringify(session.user)]
  for (const field of [...STRINGS, ...NUMBERS]) pairs.push(field, encodeValue(session[field]))
  for (const field of [...NULLABLE_STRINGS, ...NULLABLE_NUMBERS, 'revokedReason'] as const) {
    const value = session[field]
    if (value !== null) pairs.push(field, encodeValue(value))
  }
  pairs.push('authTime', encodeValue(session.authTime), 'amr', encodeValue(session.amr))
  if (session.acr !== null) pairs.push('acr', session.acr)
  if (session.jkt !== null) pairs.push('jkt', session.jkt)
  return pairs
}

/** @internal */
export function encodeRotation(rotation: SessionRotation): EncodedFields {
  const encoded: EncodedFields = { set: [], unset: [] }
  for (const field of ROTATION_FIELDS) {
    const value = rotation[field]
    if (value === null) encoded.unset.push(field)
    else encoded.set.push(field, encodeValue(value))
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

/**
 * @internal The session in a hash, or `null` for an empty one (Redis's answer for a missing key).
 * A hash that is present but malformed throws: silently dropping it would look like a logout.
 */
export function decodeSession(fields: Record<string, string>): StoredSession | null {
  if (Object.keys(fields).length === 0) return null
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
