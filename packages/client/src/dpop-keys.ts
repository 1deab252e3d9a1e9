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
  /**
   * Optional: a `load()` is about to come (a tab starting with a session calls this before it
   * waits for the cross-tab lock, and loads under it). A store whose first access is slow opens
   * it here; it must not read the key yet, another tab may be replacing it until the lock is had.
   */
  prepare?(): void
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

/** A connection to the key database; another tab (or "clear site data") deleting it closes it. */
async function connect(database: string): Promise<IDBDatabase> {
  const open = indexedDB.open(database, 1)
  open.onupgradeneeded = () => open.result.createObjectStore(STORE)
  const db = await done(open)
  db.onversionchange = () => db.close()
  return db
}

/**
 * @internal The default key store: the IndexedDB database `name` (the client's `channel`, so each
 * BFF of an origin has its own key), or `null` where there is no IndexedDB or no WebCrypto (the
 * session is then not bound, if the BFF allows that). Each request runs on a connection closed
 * right after it (a held one would block a delete). `prepare()` opens the next one ahead: a page's
 * first open takes about as long as the cross-tab lock a starting tab waits for, so it is made
 * meanwhile (a second open after closing one is not faster: the connection is kept for the read).
 * The key itself is still read under the lock, where no other tab can be replacing it.
 */
export function indexedDbKeys(name: string): DpopKeyStore | null {
  if (typeof indexedDB === 'undefined' || !globalThis.crypto?.subtle) return null
  /** The connection `prepare()` opened, until a request takes it. */
  let prepared: Promise<IDBDatabase> | undefined
  const withStore = async <R>(
    mode: IDBTransactionMode,
    act: (store: IDBObjectStore) => IDBRequest<R>,
  ): Promise<R> => {
    const ahead = prepared
    prepared = undefined
    let db = await (ahead ?? connect(name))
    try {
      let transaction: IDBTransaction
      try {
        transaction = db.transaction(STORE, mode)
      } catch (error) {
        // Only a connection opened ahead can have been closed meanwhile (its database deleted).
        if (!ahead) throw error
        db = await connect(name)
        transaction = db.transaction(STORE, mode)
      }
      return await done(act(transaction.objectStore(STORE)))
    } finally {
      db.close()
    }
  }

  return {
    load: async () => {
      const value = (await withStore('readonly', (store) => store.get(RECORD))) as
        Partial<CryptoKeyPair> | undefined
      return value?.privateKey instanceof CryptoKey ? (value as CryptoKeyPair) : null
    },
    save: async (keys) => void (await withStore('readwrite', (store) => store.put(keys, RECORD))),
    prepare() {
      // Kept until a request takes it (a deletion closes it meanwhile); a failed open is the
      // failure of that request.
      ;(prepared ??= connect(name)).catch(() => {})
    },
  }
}
