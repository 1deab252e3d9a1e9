/**
 * @module
 * The Lua scripts behind the Redis store, and a runner that uses `EVALSHA` with an `EVAL`
 * fallback. Each script touches exactly one key (or keys of one hash-tagged slot), so it runs
 * unchanged on Redis Cluster; Redis runs a script atomically, which is what makes the
 * compare-and-set, the revocation and the index update safe across processes.
 * @internal
 */
import { createHash } from 'node:crypto'
import type { RedisClient } from './redis-connection.js'

/** @internal A script and its SHA-1, as `EVALSHA` wants it. */
export interface LuaScript {
  source: string
  sha: string
}

const script = (source: string): LuaScript => ({
  source,
  sha: createHash('sha1').update(source).digest('hex'),
})

/**
 * `KEYS[1]` session hash. `ARGV[1]` TTL in ms, `ARGV[2..]` field/value pairs.
 * Returns 0 when the id is taken (ids are random: that is a bug worth failing loudly on).
 * @internal
 */
export const CREATE = script(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`)

/**
 * `KEYS[1]` session hash. `ARGV[1]` expected token hash, `ARGV[2]` now, `ARGV[3]` how long the
 * record outlives its deadline (ms), `ARGV[4]` number n of field/value pairs in
 * `ARGV[6 .. 5+2n]`, `ARGV[5]` number m of fields that become null, after them; then pairs of a
 * pieced field (`redis-codec.ts`) and its new number of pieces p: its pieces from `field#p` on,
 * left by a longer value, are dropped.
 * Returns 1 when it rotated. The TTL follows the new idle deadline, capped by the absolute one,
 * plus the retention.
 * @internal
 */
export const ROTATE = script(`
local key = KEYS[1]
if redis.call('HGET', key, 'tokenHash') ~= ARGV[1] then return 0 end
if redis.call('HEXISTS', key, 'revokedAt') == 1 then return 0 end
local n = tonumber(ARGV[4])
local m = tonumber(ARGV[5])
redis.call('HSET', key, unpack(ARGV, 6, 5 + 2 * n))
if m > 0 then redis.call('HDEL', key, unpack(ARGV, 6 + 2 * n, 5 + 2 * n + m)) end
for i = 6 + 2 * n + m, #ARGV, 2 do
  local piece = math.max(1, tonumber(ARGV[i + 1]))
  while redis.call('HDEL', key, ARGV[i] .. '#' .. piece) == 1 do piece = piece + 1 end
end
local deadline = math.min(
  tonumber(redis.call('HGET', key, 'expiresAt')),
  tonumber(redis.call('HGET', key, 'idleExpiresAt')))
local ttl = deadline + tonumber(ARGV[3]) - tonumber(ARGV[2])
redis.call('PEXPIRE', key, math.max(1, math.ceil(ttl)))
return 1
`)

/**
 * `KEYS[1]` session hash. `ARGV[1]` now, `ARGV[2]` reason, `ARGV[3]` '1' to revoke only a session
 * still before its deadlines. Returns the record as it was (flat HGETALL) to the one call that
 * revoked it, the `revokedAt` of a session revoked already (whose recent revocation the caller
 * announces again: the call that revoked it may have lost its reply), nil otherwise. The key keeps its TTL: the
 * tombstone lasts as long as the session's record would have (its deadline plus the retention), so
 * a refresh with an old cookie hears `session_revoked` rather than `no_session`.
 * @internal
 */
export const REVOKE = script(`
local key = KEYS[1]
local before = redis.call('HGETALL', key)
if #before == 0 then return false end
local revokedAt = redis.call('HGET', key, 'revokedAt')
if revokedAt then return tonumber(revokedAt) end
if ARGV[3] == '1' then
  local deadline = math.min(
    tonumber(redis.call('HGET', key, 'expiresAt')),
    tonumber(redis.call('HGET', key, 'idleExpiresAt')))
  if tonumber(ARGV[1]) >= deadline then return false end
end
redis.call('HSET', key, 'revokedAt', ARGV[1], 'revokedReason', ARGV[2])
redis.call('HDEL', key, 'sealedSuccessor')
return before
`)

/**
 * `KEYS[1]` a user's index (sorted set of session ids scored by absolute deadline). `ARGV[1]` now,
 * `ARGV[2]` score, `ARGV[3]` session id. Drops members past their deadline and keeps the key's
 * TTL at least as long as its latest member's.
 * @internal
 */
export const INDEX_ADD = script(`
local key = KEYS[1]
redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[1])
redis.call('ZADD', key, ARGV[2], ARGV[3])
local ttl = math.ceil(tonumber(ARGV[2]) - tonumber(ARGV[1]))
if ttl > redis.call('PTTL', key) then redis.call('PEXPIRE', key, ttl) end
return 1
`)

/**
 * `KEYS[1]` the recent-revocations sorted set. `ARGV[1]` now, `ARGV[2]` window in ms,
 * `ARGV[3..]` session ids. Bounded by time: entries older than the window go, and so does the key
 * once nothing was revoked for a whole window.
 * @internal
 */
export const RECORD_REVOKED = script(`
local key = KEYS[1]
local now = tonumber(ARGV[1])
for i = 3, #ARGV do redis.call('ZADD', key, now, ARGV[i]) end
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', key, ARGV[2])
return 1
`)

/**
 * `KEYS[1]` the revocation-epoch key. `ARGV[1]` the epoch (epoch ms). Raises the stored epoch to
 * it unless it is already later, and returns the epoch in force as the string stored (never
 * re-formatted by Lua, so it comes back exactly).
 * @internal
 */
export const RAISE_EPOCH = script(`
local stored = redis.call('GET', KEYS[1])
if stored and tonumber(stored) >= tonumber(ARGV[1]) then return stored end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`)

/** @internal Runs `lua` with `EVALSHA`, loading it with `EVAL` after a restart emptied the cache. */
export async function runScript(
  client: RedisClient,
  lua: LuaScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await client.evalsha(lua.sha, keys.length, ...keys, ...args)
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error
    return client.eval(lua.source, keys.length, ...keys, ...args)
  }
}
