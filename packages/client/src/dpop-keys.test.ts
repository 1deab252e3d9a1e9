import { IDBFactory } from 'fake-indexeddb'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { generateKeyPair, indexedDbKeys } from './dpop-keys.js'

/**
 * The default key store on an in-memory IndexedDB, each test its own (stubbed as the global, so
 * nothing leaks into the other files of this non-isolated suite). `opened` lists the connections
 * made, in order, with whether each was closed.
 */
let factory: IDBFactory
let opened: Array<{ at: 'prepare' | 'use'; closed: boolean }>
let phase: 'prepare' | 'use'

beforeEach(() => {
  factory = new IDBFactory()
  opened = []
  phase = 'use'
  const open = factory.open.bind(factory)
  vi.stubGlobal('indexedDB', {
    open: (name: string, version?: number) => {
      const request = open(name, version)
      const entry = { at: phase, closed: false }
      opened.push(entry)
      request.addEventListener('success', () => {
        const db = request.result
        const close = db.close.bind(db)
        db.close = () => {
          entry.closed = true
          close()
        }
      })
      return request
    },
    deleteDatabase: (name: string) => factory.deleteDatabase(name),
  })
})

afterEach(() => {
  vi.unstubAllGlobals()
})

const settled = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('indexedDbKeys', () => {
  it('keeps the pair itself: the private key comes back non-extractable', async () => {
    const store = indexedDbKeys('keys-a')!
    expect(await store.load()).toBeNull()
    const pair = await generateKeyPair()
    await store.save(pair)
    const loaded = await store.load()
    expect(loaded?.privateKey).toBeInstanceOf(CryptoKey)
    expect(loaded?.privateKey.extractable).toBe(false)
    // Every request ran on a connection of its own, closed right after it.
    expect(opened).toEqual([
      { at: 'use', closed: true },
      { at: 'use', closed: true },
      { at: 'use', closed: true },
    ])
  })

  it('reads on the connection prepare() opened ahead, and closes it after the read', async () => {
    const store = indexedDbKeys('keys-b')!
    await store.save(await generateKeyPair())
    phase = 'prepare'
    store.prepare!()
    store.prepare!() // a second call while one waits opens nothing more
    await settled()
    phase = 'use'
    expect(opened.slice(1)).toEqual([{ at: 'prepare', closed: false }])

    expect((await store.load())?.privateKey).toBeInstanceOf(CryptoKey)
    expect(opened.slice(1)).toEqual([{ at: 'prepare', closed: true }])
    // Taken once: the next read opens its own.
    await store.load()
    expect(opened.slice(1)).toEqual([
      { at: 'prepare', closed: true },
      { at: 'use', closed: true },
    ])
  })

  it('a save takes the connection opened ahead as a read would, and closes it', async () => {
    const store = indexedDbKeys('keys-e')!
    phase = 'prepare'
    store.prepare!()
    await settled()
    phase = 'use'
    await store.save(await generateKeyPair())
    expect(opened).toEqual([{ at: 'prepare', closed: true }])
    expect((await store.load())?.privateKey).toBeInstanceOf(CryptoKey)
    expect(opened).toEqual([
      { at: 'prepare', closed: true },
      { at: 'use', closed: true },
    ])
  })

  it('an open made ahead that failed fails the read that takes it, and the next read opens anew', async () => {
    const store = indexedDbKeys('keys-f')!
    const open = indexedDB.open.bind(indexedDB)
    let refuse = true
    vi.stubGlobal('indexedDB', {
      ...indexedDB,
      open: (name: string, version?: number) => {
        if (!refuse) return open(name, version)
        // What a browser with storage disabled answers.
        const request = {} as IDBOpenDBRequest
        setTimeout(() => {
          Object.assign(request, { error: new DOMException('disabled', 'UnknownError') })
          request.onerror?.(new Event('error'))
        })
        return request
      },
    })
    store.prepare!()
    await expect(store.load()).rejects.toThrow('disabled')
    refuse = false
    expect(await store.load()).toBeNull()
  })

  it('reads on a new connection when the one opened ahead was closed by a deletion', async () => {
    const store = indexedDbKeys('keys-c')!
    await store.save(await generateKeyPair())
    store.prepare!()
    await settled()
    // "Clear site data", or another tab deleting the database: the prepared connection lets it.
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase('keys-c')
      request.onsuccess = () => resolve()
      request.onerror = () => reject(request.error!)
      request.onblocked = () => reject(new Error('blocked by the prepared connection'))
    })
    expect(await store.load()).toBeNull()
    const pair = await generateKeyPair()
    await store.save(pair)
    expect((await store.load())?.privateKey).toBeInstanceOf(CryptoKey)
    // The connection opened ahead (closed by the deletion) and every one opened since are closed.
    expect(opened.every((connection) => connection.closed)).toBe(true)
    expect(opened).toHaveLength(5)
  })
})
