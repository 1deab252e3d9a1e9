/**
 * @module
 * `OidcStateStore`: the few atomic key-value operations OpenID Connect sign-in needs beside the
 * sessions (single-use transactions, `jti` replay, upstream tokens, the provider-session index and
 * the refresh lease), and its in-process implementation. Every BFF instance must share one, as
 * they share the session store: each built-in session store offers its own
 * (`store.oidcStateStore()`), which `oidcLogin()` uses unless given another.
 */
/* eslint-disable @typescript-eslint/require-await --
 * The memory store does synchronous work behind the Promise-returning interface; `async` is what
 * turns a throw inside it into a rejection, as callers expect of a store. */

/**
 * Where OpenID Connect sign-in keeps what must outlive a request. Every method is atomic on its
 * own; keys are opaque strings chosen by the BFF (already namespaced), values are strings, and a
 * `ttlMs` is how long the key lives from now. A store that cannot reach its backend throws; the
 * BFF answers 503 then (or redirects with `provider_unavailable` on a navigation).
 *
 * A custom implementation passes the shared contract suite (`test/oidc-store-contract.ts`).
 */
export interface OidcStateStore {
  /** Writes `value` under `key` for `ttlMs`, replacing what was there. */
  set(key: string, value: string, ttlMs: number): Promise<void>
  /** The value under `key`, or `null` once it was deleted or expired. */
  get(key: string): Promise<string | null>
  /** Deletes `key` (no error when absent). */
  delete(key: string): Promise<void>
  /**
   * Writes `value` under `key` for `ttlMs` only if the key is absent; returns whether this call
   * wrote it. The one primitive behind single use (`SET NX PX` in Redis): of any number of
   * concurrent callers on any number of instances, exactly one gets `true`.
   */
  claim(key: string, value: string, ttlMs: number): Promise<boolean>
  /** Deletes `key` only while it still holds `value` (a lease released by its holder only). */
  release(key: string, value: string): Promise<void>
  /**
   * Adds `member` to the set under `key`; the set lives at least `ttlMs` from now (a longer
   * lifetime it already had is kept).
   */
  addMember(key: string, member: string, ttlMs: number): Promise<void>
  /** The members of the set under `key` (empty when absent). */
  members(key: string): Promise<string[]>
}

/** Options of {@link memoryOidcStateStore}. */
export interface MemoryOidcStateStoreOptions {
  /**
   * The clock, for tests.
   * @default Date.now
   */
  now?: () => number
}

interface Entry {
  value: string | Set<string>
  expiresAt: number
}

/**
 * An {@link OidcStateStore} in this process: right for one instance (and for tests). Expired keys
 * are dropped when read and by a sweep on every hundredth write, so the map stays bounded by what
 * is live.
 *
 * @example
 * ```ts
 * oidcLogin({ ...provider, stateStore: memoryOidcStateStore() })
 * ```
 */
export function memoryOidcStateStore(options: MemoryOidcStateStoreOptions = {}): OidcStateStore {
  const now = options.now ?? (() => Date.now())
  const entries = new Map<string, Entry>()
  let writes = 0

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key)
    if (entry && entry.expiresAt <= now()) {
      entries.delete(key)
      return undefined
    }
    return entry
  }
  const wrote = () => {
    if (++writes % 100 !== 0) return
    const at = now()
    for (const [key, entry] of entries) if (entry.expiresAt <= at) entries.delete(key)
  }

  return {
    async set(key, value, ttlMs) {
      entries.set(key, { value, expiresAt: now() + ttlMs })
      wrote()
    },
    async get(key) {
      const value = live(key)?.value
      return typeof value === 'string' ? value : null
    },
    async delete(key) {
      entries.delete(key)
    },
    async claim(key, value, ttlMs) {
      if (live(key)) return false
      entries.set(key, { value, expiresAt: now() + ttlMs })
      wrote()
      return true
    },
    async release(key, value) {
      if (live(key)?.value === value) entries.delete(key)
    },
    async addMember(key, member, ttlMs) {
      const entry = live(key)
      const expiresAt = now() + ttlMs
      if (entry && entry.value instanceof Set) {
        entry.value.add(member)
        entry.expiresAt = Math.max(entry.expiresAt, expiresAt)
      } else {
        entries.set(key, { value: new Set([member]), expiresAt })
      }
      wrote()
    },
    async members(key) {
      const value = live(key)?.value
      return value instanceof Set ? [...value] : []
    },
  }
}

/**
 * @internal `store` with every operation run through `run`: a session store's connection guard
 * (wait while connecting, fail fast while down, any failure a 503), so the OpenID state on the
 * store's backend fails exactly as the sessions do.
 */
export function guardedOidcStateStore(
  store: OidcStateStore,
  run: <T>(operation: () => Promise<T>) => Promise<T>,
): OidcStateStore {
  return {
    set: (key, value, ttlMs) => run(() => store.set(key, value, ttlMs)),
    get: (key) => run(() => store.get(key)),
    delete: (key) => run(() => store.delete(key)),
    claim: (key, value, ttlMs) => run(() => store.claim(key, value, ttlMs)),
    release: (key, value) => run(() => store.release(key, value)),
    addMember: (key, member, ttlMs) => run(() => store.addMember(key, member, ttlMs)),
    members: (key) => run(() => store.members(key)),
  }
}
