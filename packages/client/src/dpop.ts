/**
 * @module
 * Device binding in the browser (DPoP, RFC 9449): the proofs this tab sends and what it must
 * remember to write them, i.e. the device key, the server's latest nonce per origin, and how far
 * this device's clock is from the server's.
 *
 * - **The key.** One per BFF, in `adapters.dpopKeys` (IndexedDB by default). Every call that
 *   needs a new one (a sign-in, or a refresh that finds none) runs inside the cross-tab lock the
 *   coordinator takes around every cookie call, so two tabs never make two keys.
 * - **Rotation.** Each sign-in makes a new key, so a key is never older than its session: a key
 *   some script misused during one session (it can sign while it runs in the page, never copy the
 *   key out) is worthless for the next. It replaces the stored key only once the BFF grants the
 *   sign-in (`answered`): until then the stored key is the one of the session this browser may
 *   still hold, which a refused sign-in (a wrong password, a 429, the network, a second factor
 *   never given) leaves alive, and which every tab signs its refreshes with.
 * - **A key that is gone** (site data cleared) mid-session: the next refresh has none to sign
 *   with and goes without a proof (so does a visitor's, who never had a key and needs none).
 *   When the BFF answers that a proof is required, the call is sent once more, signed by a new
 *   key: the BFF sees a valid proof by another key than the session's, revokes the session
 *   (`binding_mismatch`) and answers `session_revoked`, which ends it in every tab and clears the
 *   cookie; `auth-api.ts` knows a new key was made, so the end is reported with its real cause.
 *   Never a hang, and no refresh cookie left behind to try again at every page load.
 * - **No binding** where the browser cannot (no IndexedDB, no WebCrypto ECDSA P-256, a store that
 *   fails): no proof is sent, and a BFF with `binding: 'if_supported'` makes an unbound session.
 */
import { DPOP_NONCE_HEADER } from '@baton/protocol'
import { generateKeyPair, indexedDbKeys, type DpopKeyStore } from './dpop-keys.js'
import { athOf, boundTo, payloadOf, publicJwkOf, signProof } from './dpop-proof.js'
import type { ClientConfig } from './options.js'

/** A key ready to sign with. */
type DeviceKey = Parameters<typeof signProof>[0]

/** `url` made absolute against the page (a relative `baseUrl`). */
const absolute = (url: string) =>
  new URL(url, (globalThis as { location?: Location }).location?.href)

/** Clocks this close are the same clock: the rest is rounding and latency. */
const SAME_CLOCK_MS = 2_000

/** @internal `undefined` where this browser never binds a session (no key store). */
export function createDpop(config: Pick<ClientConfig, 'channel' | 'adapters' | 'now'>) {
  const { adapters, now } = config
  const store: DpopKeyStore | null =
    adapters.dpopKeys === undefined
      ? indexedDbKeys(config.channel)
      : (adapters.dpopKeys?.(config.channel) ?? null)
  if (!store) return undefined
  let key: DeviceKey | null = null
  /** The token API proofs were last made for: a new one may be bound to a key made since. */
  let keyFor: string | null = null
  /** The read of the store made for `keyFor`: every proof for that token waits for it. */
  let keyRead: Promise<DeviceKey | null> | null = null
  /** The key that signed this tab's last cookie call (its proof), if it had one. */
  let signedWith: DeviceKey | null = null
  /** A key not stored yet, made for a sign-in: the one the last cookie call signed with, if so. */
  type Unsaved = { pair: CryptoKeyPair; key: DeviceKey }
  let unsaved: Unsaved | null = null
  /**
   * The key of the password step whose second factor the BFF asked for: its ticket is bound to
   * it, so the second step signs with it (`null`: the password step went unsigned, so does it).
   */
  let ticketKey: Unsaved | null = null
  /** Server clock minus this device's, in ms, as far as the last token or answer showed. */
  let offset = 0
  const nonces = new Map<string, string>()

  const ready = async (pair: CryptoKeyPair): Promise<DeviceKey> => ({
    privateKey: pair.privateKey,
    jwk: await publicJwkOf(pair.publicKey),
  })
  /** The stored key, read again (it may have been deleted or replaced by another tab). */
  const stored = async (): Promise<DeviceKey | null> => {
    const pair = await store.load().catch(() => null)
    key = pair ? await ready(pair) : null
    return key
  }
  /** A new key for a sign-in, not stored yet; `null` where the browser cannot make or keep one. */
  const made = async (): Promise<Unsaved | null> => {
    try {
      // A store that cannot be read would not keep the key either, and a session bound to a key
      // no tab or reload can find ends at its first refresh: such a sign-in goes unbound.
      const [pair] = await Promise.all([generateKeyPair(), store.load()])
      return { pair, key: await ready(pair) }
    } catch {
      return null
    }
  }
  /** A new key, stored; `null` where the browser cannot make or keep one. */
  const fresh = async (): Promise<DeviceKey | null> => {
    try {
      const pair = await generateKeyPair()
      await store.save(pair)
      key = await ready(pair)
    } catch {
      key = null
    }
    return key
  }

  const sign = async (signer: DeviceKey, method: string, url: string, accessToken?: string) => {
    const target = absolute(url)
    return signProof(signer, {
      htm: method,
      htu: target.origin + target.pathname,
      iat: Math.floor((now() + offset) / 1000),
      nonce: nonces.get(target.origin),
      ath: accessToken === undefined ? undefined : await athOf(accessToken),
    })
  }

  return {
    /** Tells the key store a read is about to come (`DpopKeyStore.prepare`); never throws. */
    prepare() {
      try {
        store.prepare?.()
      } catch {
        // An adapter's warm-up is an optimisation: its load() says whether the store works.
      }
    },

    /**
     * The proof of a call that uses the refresh cookie. `login` signs with a new key (rotation),
     * stored only if the BFF grants it; `loginMfa` with the key of the password step it
     * finishes; `retry` with the key the first attempt signed with. The other calls sign with the
     * stored key; when it is gone, with a new one if `create` (and `retry`), else there is no proof
     * (a visitor with no session makes no key).
     * `accessToken`: the token the call also carries (reauthenticate), bound by `ath`.
     * Runs inside the cross-tab lock. `null` when this browser cannot bind.
     */
    async cookieProof(
      route: 'login' | 'loginMfa' | 'retry' | 'refresh' | 'logout' | 'reauthenticate',
      url: string,
      accessToken?: string,
      create = false,
    ): Promise<string | null> {
      if (route === 'login') unsaved = await made()
      else if (route === 'loginMfa') unsaved = ticketKey
      else if (route !== 'retry') unsaved = null
      const signer =
        route === 'login' || route === 'loginMfa'
          ? (unsaved?.key ?? null)
          : ((route === 'retry' ? signedWith : null) ??
            (await stored()) ??
            (create || route === 'retry' ? await fresh() : null))
      const bound = accessToken !== undefined && boundTo(accessToken) !== null
      signedWith = signer
      return signer && sign(signer, 'POST', url, bound ? accessToken : undefined)
    },

    /**
     * What the BFF answered to the cookie call just signed. A sign-in granted: its session is
     * bound to the new key, which now replaces the stored one (still under the lock, and before
     * the grant reaches another tab, which reads the key for it). A second factor asked for: the
     * ticket is bound to the key, kept for the second step (the BFF keeps the latest ticket
     * only). Anything else leaves the stored key alone: it is the live session's, if any.
     */
    async answered(outcome: 'granted' | 'second_step' | 'refused'): Promise<void> {
      const signed = unsaved
      unsaved = null
      // Only a password step is asked for a second one.
      if (outcome === 'second_step') ticketKey = signed
      if (outcome !== 'granted' || !signed) return
      if (signed === ticketKey) ticketKey = null
      // Bound to it whether or not the store keeps it: a store that read fine a moment ago and
      // fails now leaves the old key, and the session ends at its next refresh, as for a lost key.
      await store.save(signed.pair).catch(() => {})
      key = signed.key
    },

    /**
     * The proof of an API call sent with `accessToken`, or `null` for a bearer token (or when no
     * key is left: the API refuses it and the refresh that follows ends the session).
     */
    async apiProof(method: string, url: string, accessToken: string): Promise<string | null> {
      if (boundTo(accessToken) === null) return null
      // A new token: another tab may have signed in since (a new key), or the key may be gone.
      if (accessToken !== keyFor) {
        keyFor = accessToken
        keyRead = stored()
      }
      // Concurrent calls with the new token: all of them sign with what that one read finds.
      await keyRead
      return key ? sign(key, method, url, accessToken) : null
    },

    /**
     * Learns the server's clock from a token received at `receivedAt` (its `iat`), so `iat` of
     * the proofs is right on a device whose clock is off (RFC 9449 §11.1 leaves the window to the
     * server; Baton's is tight). `mine`: the answer to this tab's own cookie call, so the token is
     * bound to the key that signed that call's proof (not to what another read of the store found
     * meanwhile), and its API proofs sign with that key with no new read of the store (a call to
     * the browser that would wait behind the page's render of the new status).
     */
    observeToken(accessToken: string, receivedAt: number, mine = false) {
      if (mine && signedWith) {
        key = signedWith
        keyFor = accessToken
        keyRead = null
      }
      const iat = payloadOf(accessToken)?.iat
      if (typeof iat !== 'number' || !Number.isFinite(iat)) return
      const seen = iat * 1000 - receivedAt
      offset = Math.abs(seen) < SAME_CLOCK_MS ? 0 : seen
    },

    /**
     * Keeps the nonce an answer from `url` carries (RFC 9449 §8: the latest one is the one to
     * use). Nonces are per origin: an API elsewhere has its own.
     */
    observe(url: string, headers: Headers) {
      const nonce = headers.get(DPOP_NONCE_HEADER)
      if (nonce) nonces.set(absolute(url).origin, nonce)
    },

    /**
     * After a refused proof, whether the server's `Date` shows this device's clock to be off by
     * more than {@link SAME_CLOCK_MS} from what the proofs assumed; if so, the proofs now use it
     * and one retry is worth it.
     */
    clockWasOff(headers: Headers): boolean {
      const date = Date.parse(headers.get('date') ?? '')
      if (!Number.isFinite(date)) return false
      // The header has whole seconds: the middle of its second is the best guess.
      const seen = date + 500 - now()
      if (Math.abs(seen - offset) < SAME_CLOCK_MS) return false
      offset = seen
      return true
    },
  }
}

/** @internal */
export type Dpop = NonNullable<ReturnType<typeof createDpop>>
