/**
 * @module
 * The options of device binding (DPoP, RFC 9449): the `binding` policy of `createBff`, the proof
 * settings shared by the BFF's routes and `requireAuth()`, and their normalisation, once, at
 * start-up (every mistake is a `TypeError` naming the option).
 */
import { parseDuration, type Duration } from '@baton/protocol'
import type { SessionStore } from '../stores/types.js'
import { createNonces, type Nonces } from './nonce.js'
import { memoryReplayCache, type ProofReplayCache } from './replay.js'

/**
 * Which sessions the BFF binds to a browser key (DPoP, RFC 9449):
 *
 * - `'if_supported'`: a login that carries a proof makes a bound session; one without (a browser
 *   with no WebCrypto or IndexedDB) makes an unbound one, which the devices list shows as such.
 * - `'required'`: a login without a proof is refused (`401 invalid_dpop_proof`), and so is the
 *   refresh of an unbound session made before the policy changed (`401 session_revoked`).
 * - `'off'`: logins make unbound sessions and their proofs are ignored. A session bound earlier
 *   stays bound: binding is a property of the session, the policy only decides how new ones start.
 */
export type BindingPolicy = 'required' | 'if_supported' | 'off'

/** How `requireAuth()` treats DPoP: see {@link RequireAuthDpop}. */
export type DpopMode = 'required' | 'allowed'

/**
 * Server-provided nonces (RFC 9449 §8), stateless: a nonce is an HMAC of a time window under
 * `secret`, so every instance that has the secret accepts every other's nonces, without storage.
 */
export interface DpopNonceOptions {
  /**
   * The HMAC key, the same on every instance (and on every `requireAuth()` that should accept
   * the BFF's nonces): at least 32 bytes, or a string of at least 32 characters.
   */
  secret: string | Uint8Array
  /**
   * How long one nonce is handed out. A nonce is accepted during its window and the next, so
   * between `lifetime` and twice that after it was first seen.
   * @default '5m'
   */
  lifetime?: Duration
}

/** How proofs are checked, on the BFF's routes and in `requireAuth()`. */
export interface DpopProofOptions {
  /**
   * The public origins the BFF (or the API) is reached at, such as `['https://app.example.com']`.
   * A proof's `htu` must name one of them with the request's path. Set it whenever the server
   * sees another origin than the browser does: TLS ended at a proxy (the server sees
   * `http://`), a proxy that rewrites `Host`, an internal port. `X-Forwarded-Host` and
   * `X-Forwarded-Proto` are never read: a client could write them, and the URL a proof is
   * bound to must not be the client's choice.
   * @default the request's own origin, as the server sees it (`new URL(c.req.url).origin`)
   */
  origins?: readonly string[]
  /**
   * How far a proof's `iat` may be from the server's clock, either way. The client corrects its
   * clock by the skew it learns from each grant, so a device minutes off still signs fresh
   * proofs; the window only has to cover network latency and the error of that correction. A
   * proof is remembered (replay cache) until it leaves the window.
   * @default '60s'
   */
  proofWindow?: Duration
  /**
   * Server-provided nonces (see {@link DpopNonceOptions}); `false` for none.
   * @default false: a nonce needs a secret shared by every instance (a per-process one would make
   * every other instance refuse it), it costs a round trip at every sign-in and at the first API
   * call of each window, and with the skew-corrected `iat` window the lifetime of a proof made
   * ahead of time is already bounded to about twice `proofWindow`. Turn it on where that bound
   * must be the server's, not the client's clock's.
   */
  nonce?: DpopNonceOptions | false
}

/**
 * The `dpop` option of `requireAuth()`: `'allowed'` (verify the proof of a bound token, accept
 * an unbound bearer token) or `'required'` (refuse unbound tokens too), or an object with the mode
 * and the proof settings.
 */
export type RequireAuthDpop =
  | DpopMode
  | (DpopProofOptions & {
      /** @default 'allowed' */
      mode?: DpopMode
      /**
       * Where seen proofs are remembered: a session store shared by every instance (all of
       * Baton's stores have `rememberProof`), so a proof replayed at another instance is refused.
       * @default a cache in this process (a replay at another instance is not seen)
       */
      replay?: ProofReplayCache
    })

/** @internal Proof settings after defaults. */
export interface DpopConfig {
  proofWindowMs: number
  /** `null`: the request's own origin. */
  origins: ReadonlySet<string> | null
  nonces: Nonces | null
  replay: ProofReplayCache
}

/** @internal `createBff`'s `binding` and `dpop`, after defaults. */
export interface BindingConfig extends DpopConfig {
  policy: BindingPolicy
  /** `dpop` as given, for `bff.requireAuth()` to check proofs the same way. */
  options: DpopProofOptions
}

const POLICIES: readonly BindingPolicy[] = ['required', 'if_supported', 'off']

/** @internal Checks {@link DpopProofOptions}; `where` prefixes every message. */
export function normalizeDpopProof(
  options: DpopProofOptions | undefined,
  replay: ProofReplayCache,
  where: string,
): DpopConfig {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`${where} must be an object`)
  }
  const proofWindowMs = parseDuration(options?.proofWindow ?? '60s', `${where}.proofWindow`)
  if (proofWindowMs < 1_000) throw new TypeError(`${where}.proofWindow must be at least 1s`)
  let origins: Set<string> | null = null
  if (options?.origins !== undefined) {
    if (!Array.isArray(options.origins) || options.origins.length === 0) {
      throw new TypeError(`${where}.origins must be a non-empty array of origins`)
    }
    origins = new Set()
    for (const origin of options.origins as unknown[]) {
      if (
        typeof origin !== 'string' ||
        !URL.canParse(origin) ||
        new URL(origin).origin !== origin
      ) {
        throw new TypeError(
          `${where}.origins: "${String(origin)}" is not an origin like "https://app.example"`,
        )
      }
      origins.add(origin)
    }
  }
  const nonce = options?.nonce ?? false
  return {
    proofWindowMs,
    origins,
    nonces: nonce === false ? null : createNonces(nonce, `${where}.nonce`),
    replay,
  }
}

/**
 * @internal `createBff`'s `binding` (default `'if_supported'`) and `dpop`. Proofs are remembered in
 * the store when it can (every built-in store), else in this process with a warning.
 */
export function normalizeBinding(
  binding: BindingPolicy | undefined,
  dpop: DpopProofOptions | undefined,
  store: SessionStore,
  logger: Pick<Console, 'warn'>,
): BindingConfig {
  const policy = binding ?? 'if_supported'
  if (!POLICIES.includes(policy)) {
    throw new TypeError(
      `createBff: binding must be "required", "if_supported" or "off", got "${String(policy)}"`,
    )
  }
  let replay: ProofReplayCache
  if (typeof store.rememberProof === 'function') {
    replay = { rememberProof: store.rememberProof.bind(store) }
  } else {
    replay = memoryReplayCache()
    if (policy !== 'off') {
      logger.warn(
        '[baton] the session store has no rememberProof: DPoP proofs are remembered in this ' +
          'process only, so a proof replayed at another instance is not refused',
      )
    }
  }
  return { policy, options: dpop ?? {}, ...normalizeDpopProof(dpop, replay, 'createBff: dpop') }
}

/** @internal `requireAuth`'s `dpop`, after defaults; `where` names the factory. */
export function normalizeRequireAuthDpop(
  option: RequireAuthDpop | undefined,
  where: string,
): DpopConfig & { mode: DpopMode } {
  if (option === undefined || typeof option === 'string') {
    const mode = option ?? 'allowed'
    if (mode !== 'allowed' && mode !== 'required') {
      throw new TypeError(`${where}: dpop must be "allowed" or "required", got "${String(mode)}"`)
    }
    return { mode, ...normalizeDpopProof(undefined, memoryReplayCache(), `${where}: dpop`) }
  }
  if (typeof option !== 'object' || option === null) {
    throw new TypeError(`${where}: dpop must be "allowed", "required" or an object`)
  }
  const mode = option.mode ?? 'allowed'
  if (mode !== 'allowed' && mode !== 'required') {
    throw new TypeError(
      `${where}: dpop.mode must be "allowed" or "required", got "${String(mode)}"`,
    )
  }
  if (option.replay !== undefined && typeof option.replay?.rememberProof !== 'function') {
    throw new TypeError(`${where}: dpop.replay must have a rememberProof method`)
  }
  const replay = option.replay ?? memoryReplayCache()
  return { mode, ...normalizeDpopProof(option, replay, `${where}: dpop`) }
}
