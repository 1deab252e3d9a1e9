/**
 * @module
 * The platform's floor under a lone tab's boot (issue 18), measured in the same browser and run
 * as the boot rows: fresh tabs of one context that run no Baton, each timing from its script's
 * first statement what Baton's lone-tab boot is made of, alone and in the order the client needs
 * them for a session bound to a device key (DPoP):
 * - `fetch`: one POST to the boot server, response body read (a refresh's round trip at page
 *   start, without the refresh);
 * - `lock`: the page's first Web Locks request granted (the cross-tab refresh lock);
 * - `idb`: the page's first IndexedDB open and read (the device key);
 * - `lock, idb, fetch`: the three one after another, as the client must (the key is read under
 *   the lock, the request needs the proof). What a lone tab's boot takes beyond this row is
 *   Baton's own work;
 * - `lock ∥ idb, fetch`: the key read asked for together with the lock, the request once both
 *   are there: whether the browser overlaps the two (a client could read the key speculatively
 *   and check it under the lock);
 * - `lock, idb, sign, fetch`: with the page's first ECDSA P-256 signature (the DPoP proof's)
 *   between the key and the request: everything a bound lone tab must do before its refresh;
 * - `lock, in the boot page (not started)`: the boot page itself, its script evaluated and the
 *   client created, but `start()` never called; its first lock, asked for where `start()` asks;
 * - `channel, a peer answers`: one `BroadcastChannel` message to a tab of the same context that
 *   is already open, and its answer: the floor under a new tab beside signed-in ones, which asks
 *   them for a token and gets it in one message each way;
 * - `cookie`: the page's first `document.cookie` read (a synchronous trip to the browser), all an
 *   anonymous visitor's boot must ask the browser for: the floor under that row;
 * - `a heading on screen, after an answer`: not from the script's start but from a POST's answer
 *   to a heading added then being on screen (Element Timing's `renderTime`, the frame's
 *   presentation): the floor under the demo's "grant → on screen", for a page with nothing else
 *   to render.
 */
import type { BrowserContext } from 'playwright-core'
import { median, percentile, tenths } from '../lib/stats.js'
import { formatTable } from '../lib/table.js'
import { openUntilLogged } from './browser.js'
import { FLOOR_DONE } from './pages/boot-done.js'

/** The probes, by their query string, and the script each page runs. */
const PROBES = {
  fetch: 'await ping()',
  lock: 'await lock(async () => {})',
  idb: 'await key()',
  'lock, idb, fetch': 'await lock(async () => { await key(); await ping() })',
  'lock ∥ idb, fetch': 'const read = key(); await lock(async () => { await read; await ping() })',
  'lock, idb, sign, fetch': 'await lock(async () => { await sign(await key()); await ping() })',
  'channel, a peer answers':
    "await new Promise((resolve) => { const channel = new BroadcastChannel('floor');" +
    " channel.onmessage = resolve; channel.postMessage('hello') })",
  cookie: 'document.cookie',
  'a heading on screen, after an answer':
    "await ping(); const answered = performance.now(); const heading = document.createElement('h1');" +
    " heading.setAttribute('elementtiming', 'floor'); heading.textContent = 'Dashboard';" +
    ' document.body.append(heading); const shown = await new Promise((resolve) =>' +
    " new PerformanceObserver((list) => resolve(list.getEntries()[0])).observe({ type: 'element' }));" +
    ' window.floorMs = shown.renderTime - answered',
} as const

/** The page kept open beside the `channel` probe: it answers every message on the channel. */
const PEER_PAGE = 'peer'
const PEER_SCRIPT =
  "const channel = new BroadcastChannel('floor'); channel.onmessage = () => channel.postMessage('token');" +
  `console.log('${FLOOR_DONE}')`

/**
 * The one probe that is not an inline page: the boot page itself (`/boot?idle`), its bundle
 * evaluated and the client created as for a lone tab, but not started; its first lock, asked for
 * where `start()` asks for the refresh lock. The lone tab's grant minus this one is what Baton's
 * start costs the lock; this one minus `lock` is what loading a real page's script costs it.
 */
const IDLE_PAGE = 'lock, in the boot page (not started)'

export type FloorProbe = keyof typeof PROBES | typeof IDLE_PAGE

const HELPERS =
  `const ping = () => fetch('/floor/ping', { method: 'POST' }).then((r) => r.arrayBuffer());` +
  `const lock = (fn) => navigator.locks.request('floor:refresh', fn);` +
  // The stored key pair; the first (unmeasured) load of a context creates it, as a sign-in would.
  `const key = () => new Promise((resolve, reject) => {` +
  `const open = indexedDB.open('floor', 1);` +
  `open.onupgradeneeded = () => open.result.createObjectStore('keys');` +
  `open.onerror = () => reject(open.error);` +
  `open.onsuccess = () => { const db = open.result;` +
  `const get = db.transaction('keys').objectStore('keys').get('current');` +
  `get.onerror = () => reject(get.error);` +
  `get.onsuccess = () => { if (get.result) { db.close(); return resolve(get.result) }` +
  `crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])` +
  `.then((pair) => { const put = db.transaction('keys', 'readwrite').objectStore('keys')` +
  `.put(pair, 'current'); put.onsuccess = () => { db.close(); resolve(pair) } }, reject) } } });` +
  `const sign = (pair) => crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' },` +
  ` pair.privateKey, new Uint8Array(256));`

/** The page of `probe`: its script stamps its start, runs the probe, and reports the time. */
export function floorPage(probe: string): string | null {
  if (probe === PEER_PAGE) {
    return `<!doctype html><html><head><meta charset="utf-8"><title>peer</title><script type="module">${PEER_SCRIPT}</script></head><body></body></html>`
  }
  if (!Object.hasOwn(PROBES, probe)) return null
  const body = PROBES[probe as keyof typeof PROBES]
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>floor</title>` +
    `<script type="module">const t0 = performance.now();${HELPERS}` +
    `${body};window.floorMs ??= performance.now() - t0;console.log('${FLOOR_DONE}')</script>` +
    `</head><body></body></html>`
  )
}

/** Samples per probe, by probe. */
export type FloorResult = Record<FloorProbe, number[]>

/** Loads each probe's page `warmup + samples` times, interleaved, each in a new tab. */
export async function measureFloor(
  context: BrowserContext,
  origin: string,
  samples: number,
  warmup: number,
): Promise<FloorResult> {
  const result: FloorResult = {
    fetch: [],
    lock: [],
    idb: [],
    'lock, idb, fetch': [],
    'lock ∥ idb, fetch': [],
    'lock, idb, sign, fetch': [],
    [IDLE_PAGE]: [],
    'channel, a peer answers': [],
    cookie: [],
    'a heading on screen, after an answer': [],
  }
  // The peer the `channel` probe asks, open for all of them, as a signed-in tab would be.
  const peer = await openUntilLogged(context, `${origin}/floor?${PEER_PAGE}`, FLOOR_DONE)
  for (let i = 0; i < warmup + samples; i++) {
    for (const probe of Object.keys(result) as FloorProbe[]) {
      const path = probe === IDLE_PAGE ? '/boot?idle' : `/floor?${encodeURIComponent(probe)}`
      const page = await openUntilLogged(context, `${origin}${path}`, FLOOR_DONE)
      try {
        const ms = await page.evaluate(() => (window as unknown as { floorMs: number }).floorMs)
        if (i >= warmup) result[probe].push(ms)
      } finally {
        await page.close()
      }
    }
  }
  await peer.close()
  return result
}

/** The floor's table: one row per probe. */
export function floorTable(result: FloorResult): string {
  return formatTable(
    ['at page start (no Baton)', 'p50 ms', 'p95 ms'],
    (Object.keys(result) as FloorProbe[]).map((probe) => [
      probe,
      tenths(median(result[probe])),
      tenths(percentile(result[probe], 95)),
    ]),
  )
}
