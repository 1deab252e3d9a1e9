/**
 * @module
 * The factor store of `redisStore()`. Keys, each hash-tagged so that every script touches one slot
 * (Redis Cluster):
 *
 * - `<p>mfa:{<userId>}:f`: a hash of the user's factors. Field `<id>` holds the record's fixed part
 *   as JSON; `<id>:k` the method, `<id>:c` confirmedAt (absent while pending), `<id>:u` lastUsedAt,
 *   `<id>:s` lastStep, `<id>:n` counter, `<id>:b` backedUp: the fields the scripts compare-and-set.
 * - `<p>mfa:{<userId>}:rc`: a set of recovery-code hashes (`SREM` takes one exactly once).
 * - `<p>mfa:p:{<key>}`: a pending record (ticket, challenge): a hash `v` value, `e` expiry, `t`
 *   tries, with a TTL as well. The expiry is also compared with the BFF's clock inside the scripts,
 *   so a record is refused at its deadline whatever Redis's own clock says.
 *
 * With `waitForReplicas`, every write that changed something waits for the replicas, as the
 * session writes do: a failover that lost one would bring back a removed factor, a spent recovery
 * code, an accepted TOTP step or a used ticket.
 * @internal
 */
import { createHash } from 'node:crypto'
import { pairsToRecord } from '../stores/redis-codec.js'
import type { RedisConnection } from '../stores/redis-connection.js'
import { runScript, type LuaScript } from '../stores/redis-scripts.js'
import { assertRoomForFactor, MAX_FACTORS } from './factors.js'
import { byFactorCreation, type FactorStore, type StoredFactor } from './types.js'

const script = (source: string): LuaScript => ({
  source,
  sha: createHash('sha1').update(source).digest('hex'),
})

/**
 * `KEYS[1]` factors hash. `ARGV[1]` id, `ARGV[2]` the most factors a user may have, `ARGV[3..]`
 * the new factor's field/value pairs. Returns 1 when it added the factor, 0 when the id is taken,
 * and the hash as it is (flat HGETALL) when the user has the most factors already. One script, so
 * a factor is never half-written (its record without the fields the other scripts compare), and
 * ceremonies that each passed the cap on their own reading cannot pass it together.
 */
const CREATE_FACTOR = script(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
local count = 0
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if not string.find(field, ':', 1, true) then count = count + 1 end
end
if count >= tonumber(ARGV[2]) then return redis.call('HGETALL', KEYS[1]) end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
return 1
`)

/** `KEYS[1]` factors hash. `ARGV` id, step, now, '1' to confirm. */
const ACCEPT_STEP = script(`
local id = ARGV[1]
if redis.call('HGET', KEYS[1], id .. ':k') ~= 'totp' then return 0 end
local confirmed = redis.call('HGET', KEYS[1], id .. ':c')
if (confirmed == false) ~= (ARGV[4] == '1') then return 0 end
local last = tonumber(redis.call('HGET', KEYS[1], id .. ':s') or '-1')
if tonumber(ARGV[2]) <= last then return 0 end
redis.call('HSET', KEYS[1], id .. ':s', ARGV[2], id .. ':u', ARGV[3])
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], id .. ':c', ARGV[3]) end
return 1
`)

/** `KEYS[1]` factors hash. `ARGV` id, counter, '1'/'0' backed up, now. */
const PASSKEY_USE = script(`
local id = ARGV[1]
if redis.call('HGET', KEYS[1], id .. ':k') ~= 'passkey' then return 0 end
local stored = tonumber(redis.call('HGET', KEYS[1], id .. ':n') or '0')
local next = tonumber(ARGV[2])
if not (next > stored or (next == 0 and stored == 0)) then return 0 end
redis.call('HSET', KEYS[1], id .. ':n', ARGV[2], id .. ':b', ARGV[3], id .. ':u', ARGV[4])
return 1
`)

/** `KEYS[1]` recovery-code set. `ARGV` the new hashes. */
const REPLACE_CODES = script(`
redis.call('DEL', KEYS[1])
if #ARGV > 0 then redis.call('SADD', KEYS[1], unpack(ARGV)) end
return 1
`)

/** `KEYS[1]` pending hash. `ARGV` value, expiresAt, ttl ms. */
const PUT_PENDING = script(`
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'e', ARGV[2], 't', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`)

/** `KEYS[1]` pending hash. `ARGV` now. Returns the value to the one caller that took it. */
const TAKE_PENDING = script(`
local record = redis.call('HMGET', KEYS[1], 'v', 'e')
redis.call('DEL', KEYS[1])
if not record[1] or tonumber(record[2]) <= tonumber(ARGV[1]) then return false end
return record[1]
`)

/** `KEYS[1]` pending hash. `ARGV` now. Returns the tries so far, or nil when gone. */
const FAIL_PENDING = script(`
local expires = redis.call('HGET', KEYS[1], 'e')
if not expires or tonumber(expires) <= tonumber(ARGV[1]) then return false end
return redis.call('HINCRBY', KEYS[1], 't', tonumber(ARGV[2]))
`)

const MUTABLE = [':k', ':c', ':u', ':s', ':n', ':b'] as const

/**
 * @internal The factor store on the Redis store's connection, keys under `prefix`; `replicated` is
 * the store's `waitForReplicas` check.
 */
export function redisFactorStore(
  connection: Pick<RedisConnection, 'client' | 'call'>,
  prefix: string,
  replicated: () => Promise<void>,
): FactorStore {
  const { client } = connection
  const call = <T>(operation: () => Promise<T>) => connection.call(operation)
  /** `operation` and, when `changed` says it wrote, the wait for the replicas, in one `call`. */
  const write = <T>(operation: () => Promise<T>, changed: (result: T) => boolean = () => true) =>
    call(async () => {
      const result = await operation()
      if (changed(result)) await replicated()
      return result
    })
  const factorsKey = (userId: string) => `${prefix}mfa:{${userId}}:f`
  const codesKey = (userId: string) => `${prefix}mfa:{${userId}}:rc`
  const pendingKey = (key: string) => `${prefix}mfa:p:{${key}}`

  const decode = (fields: Record<string, string>): StoredFactor[] => {
    const factors: StoredFactor[] = []
    for (const [field, json] of Object.entries(fields)) {
      if (field.includes(':')) continue
      const factor = JSON.parse(json) as StoredFactor
      const confirmed = fields[`${field}:c`]
      factor.confirmedAt = confirmed === undefined ? null : Number(confirmed)
      const used = fields[`${field}:u`]
      factor.lastUsedAt = used === undefined ? null : Number(used)
      factor.lastStep = Number(fields[`${field}:s`] ?? '-1')
      factor.counter = Number(fields[`${field}:n`] ?? '0')
      factor.backedUp = fields[`${field}:b`] === '1'
      factors.push(factor)
    }
    return factors.sort(byFactorCreation)
  }

  return {
    async createFactor(factor) {
      const id = factor.id
      const fields: Record<string, string> = {
        [id]: JSON.stringify(factor),
        [`${id}:k`]: factor.method,
        [`${id}:s`]: String(factor.lastStep),
        [`${id}:n`]: String(factor.counter),
        [`${id}:b`]: factor.backedUp ? '1' : '0',
      }
      if (factor.confirmedAt !== null) fields[`${id}:c`] = String(factor.confirmedAt)
      if (factor.lastUsedAt !== null) fields[`${id}:u`] = String(factor.lastUsedAt)
      const created = await write(
        () =>
          runScript(
            client,
            CREATE_FACTOR,
            [factorsKey(factor.userId)],
            [id, MAX_FACTORS, ...Object.entries(fields).flat()],
          ),
        (result) => result === 1,
      )
      // Refused with the answer the routes give when they find the user's factors at the cap.
      if (Array.isArray(created)) assertRoomForFactor(decode(pairsToRecord(created)))
      if (created !== 1) throw new Error(`factor ${id} already exists`)
    },

    async listFactors(userId) {
      return decode(await call(() => client.hgetall(factorsKey(userId))))
    },

    async deleteFactor(userId, factorId) {
      const removed = await write(
        () => client.hdel(factorsKey(userId), factorId, ...MUTABLE.map((m) => `${factorId}${m}`)),
        (count) => count > 0,
      )
      return removed > 0
    },

    async acceptTotpStep(userId, factorId, step, now, confirm) {
      const result = await write(
        () =>
          runScript(
            client,
            ACCEPT_STEP,
            [factorsKey(userId)],
            [factorId, step, now, confirm ? 1 : 0],
          ),
        (accepted) => accepted === 1,
      )
      return result === 1
    },

    async recordPasskeyUse(userId, factorId, counter, backedUp, now) {
      const result = await write(
        () =>
          runScript(
            client,
            PASSKEY_USE,
            [factorsKey(userId)],
            [factorId, counter, backedUp ? 1 : 0, now],
          ),
        (recorded) => recorded === 1,
      )
      return result === 1
    },

    async replaceRecoveryCodes(userId, hashes) {
      await write(() => runScript(client, REPLACE_CODES, [codesKey(userId)], hashes))
    },

    async useRecoveryCode(userId, hash) {
      // A 503 after the wait failed costs the user this code; a failover giving it back would let
      // it be used twice.
      const removed = await write(
        () => client.srem(codesKey(userId), hash),
        (count) => count === 1,
      )
      return removed === 1
    },

    async countRecoveryCodes(userId) {
      return call(() => client.scard(codesKey(userId)))
    },

    async putPending(key, value, expiresAt, now) {
      const ttl = Math.max(1, Math.ceil(expiresAt - now))
      await write(() => runScript(client, PUT_PENDING, [pendingKey(key)], [value, expiresAt, ttl]))
    },

    async getPending(key, now) {
      const [value, expires] = await call(() => client.hmget(pendingKey(key), 'v', 'e'))
      return value !== null && value !== undefined && Number(expires) > now ? value : null
    },

    async takePending(key, now) {
      const value = await write(
        () => runScript(client, TAKE_PENDING, [pendingKey(key)], [now]),
        (taken) => typeof taken === 'string',
      )
      return typeof value === 'string' ? value : null
    },

    async failPending(key, now, by = 1) {
      const tries = await write(
        () => runScript(client, FAIL_PENDING, [pendingKey(key)], [now, by]),
        (counted) => typeof counted === 'number',
      )
      return typeof tries === 'number' ? tries : null
    },
  }
}
