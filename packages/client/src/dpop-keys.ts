/**
 * @module
 * Where the session's device key lives (DPoP, RFC 9449): one ECDSA P-256 key pair per origin and
 * BFF, created with `extractable: false` and kept in IndexedDB as the `CryptoKeyPair` itself. The
 * structured clone IndexedDB stores keeps the private key non-extractable: no script, this one
 * included, can ever read its bytes, so it cannot be copied off the device; it can only be used
 * here, to sign.
 */

/**
 * Keeps the device key of one BFF (see `ClientAdapters.dpopKeys`). `load` answers the stored pair
 * or `null` when there is none; `save` replaces it. Either may reject (storage disabled, quota,
 * the database deleted meanwhile): the client then treats the browser as one that cannot bind.
 *
 * @example
 * ```ts
 * // Tests, or runtimes without IndexedDB: a pair per name, in memory (lost on reload).
 * const pairs = new Map<string, CryptoKeyPair>()
 * const memoryKeys = (name: string): DpopKeyStore => ({
 *   load: () => Promise.resolve(pairs.get(name) ?? null),
 *   save: (keys) => Promise.resolve(void pairs.set(name, keys)),
 * })
 * createSessionClient({ adapters: { dpopKeys: memoryKeys } })
 * ```
 */
export interface DpopKeyStore {
  load(): Promise<CryptoKeyPair | null>
  save(keys: CryptoKeyPair): Promise<void>
}

/** @internal A new device key pair (ES256); the private half can sign and never be exported. */
export const generateKeyPair = (): Promise<CryptoKeyPair> =>
  crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])

const STORE = 'keys'
const RECORD = 'current'

/** The result of an IndexedDB request. */
const done = <R>(request: IDBRequest<R>) =>
  new Promise<R>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    // A failed request always has its DOMException.
    request.onerror = () => reject(request.error!)
  })

/** Runs one request on a fresh connection, closed right after: a held one would block a delete. */
async function withStore<R>(
  database: string,
  mode: IDBTransactionMode,
  act: (store: IDBObjectStore) => IDBRequest<R>,
): Promise<R> {
  const open = indexedDB.open(database, 1)
  open.onupgradeneeded = () => open.result.createObjectStore(STORE)
  const db = await done(open)
  // Another tab (or "clear site data") deletes the database: let it, at once.
  db.onversionchange = () => db.close()
  try {
    return await done(act(db.transaction(STORE, mode).objectStore(STORE)))
  } finally {
    db.close()
  }
}

/**
 * @internal The default key store: the IndexedDB database `name` (the client's `channel`, so each
 * BFF of an origin has its own key), or `null` where there is no IndexedDB or no WebCrypto (the
 * session is then not bound, if the BFF allows that).
 */
export function indexedDbKeys(name: string): DpopKeyStore | null {
  if (typeof indexedDB === 'undefined' || !globalThis.crypto?.subtle) return null
  return {
    load: async () => {
      const value = (await withStore(name, 'readonly', (store) => store.get(RECORD))) as
        Partial<CryptoKeyPair> | undefined
      return value?.privateKey instanceof CryptoKey ? (value as CryptoKeyPair) : null
    },
    save: async (keys) =>
      void (await withStore(name, 'readwrite', (store) => store.put(keys, RECORD))),
  }
}
