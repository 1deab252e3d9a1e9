/**
 * @module
 * `trustProxy`: when `X-Forwarded-For` is believed. Every address in that header except the ones
 * appended by proxies you run was written by the client, so believing more of it than your own
 * proxies wrote lets anyone pick the IP that rate limits and audit events see.
 * @internal
 */
import type { Context } from 'hono'
import { formatIp, parseIp, type ParsedIp } from './ip.js'

/**
 * Which proxies in front of the BFF are believed when they say who the client is
 * (`X-Forwarded-For`):
 *
 * - `false` (or `0`): none. The client is the socket's peer; the header is ignored.
 * - a number `n`: exactly `n` proxies of yours stand in front of the BFF, each appending the
 *   address it received from. The client is the `n`-th address from the right of the chain
 *   socket peer ← header entries.
 * - a list of addresses and CIDR blocks (`'10.0.0.0/8'`, `'2001:db8::/32'`, `'127.0.0.1'`): walking
 *   from the socket peer leftwards through the header, each hop in the list is skipped; the
 *   first address outside it is the client.
 */
export type TrustProxy = false | number | readonly string[]

/** Resolves the client's address from the socket's peer and the `X-Forwarded-For` header. */
export type ProxyResolver = (peer: string | null, forwardedFor: string | undefined) => string | null

// A header longer than this many hops is garbage or an attack; only the right end is ever read.
const MAX_HOPS = 32

const invalid = (message: string) => new TypeError(`createBff: trustProxy ${message}`)

interface NetBlockList {
  addAddress(address: string, type: 'ipv4' | 'ipv6'): void
  addSubnet(network: string, prefix: number, type: 'ipv4' | 'ipv6'): void
  check(address: string, type: 'ipv4' | 'ipv6'): boolean
}

// `node:net` through `process.getBuiltinModule` rather than an import: the core must still load
// on edge runtimes, which only miss this when an allowlist is configured.
function newBlockList(): NetBlockList {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  const net = proc?.getBuiltinModule?.('node:net') as
    { BlockList: new () => NetBlockList } | undefined
  if (!net) {
    throw invalid('as a list needs node:net (Node.js 20.16+); elsewhere pass clientIp instead')
  }
  return new net.BlockList()
}

const family = (ip: ParsedIp) => (ip.version === 4 ? 'ipv4' : 'ipv6')

function allowlist(entries: readonly string[]): (ip: ParsedIp) => boolean {
  const list = newBlockList()
  for (const entry of entries) {
    if (typeof entry !== 'string') throw invalid(`entries must be strings, got ${String(entry)}`)
    const [address = '', bits, extra] = entry.split('/')
    const parsed = parseIp(address)
    const max = parsed?.version === 4 ? 32 : 128
    const length = bits === undefined ? max : Number(bits)
    if (!parsed || extra !== undefined || !/^\d{1,3}$/.test(bits ?? '0') || length > max) {
      throw invalid(`entry "${entry}" is not an IP address or a CIDR block like "10.0.0.0/8"`)
    }
    // BlockList compares mapped IPv6 and IPv4 as different families: parseIp already folded
    // `::ffff:a.b.c.d` into IPv4, so the entry and the addresses checked agree.
    if (bits === undefined) list.addAddress(formatIp(parsed), family(parsed))
    else list.addSubnet(formatIp(parsed), length, family(parsed))
  }
  return (ip) => list.check(formatIp(ip), family(ip))
}

/** Validates `trustProxy` once, at start-up; `null` when nothing is trusted. */
export function normalizeTrustProxy(value: TrustProxy | undefined): ProxyResolver | null {
  if (value === undefined || value === false || value === 0) return null
  let trusted: (ip: ParsedIp, hop: number) => boolean
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > MAX_HOPS) {
      throw invalid(`must be false, a hop count from 0 to ${MAX_HOPS} or a list, got ${value}`)
    }
    trusted = (_, hop) => hop < value
  } else if (Array.isArray(value)) {
    const inList = allowlist(value)
    trusted = (ip) => inList(ip)
  } else {
    throw invalid(`must be false, a hop count or a list of addresses, got ${String(value)}`)
  }

  return (peer, forwardedFor) => {
    if (peer === null) return null
    const chain = [peer, ...(forwardedFor ?? '').split(',').slice(-MAX_HOPS).reverse()]
    let current = peer
    let parsed = parseIp(peer)
    for (let hop = 0; hop + 1 < chain.length; hop++) {
      if (!parsed || !trusted(parsed, hop)) break
      const next = parseIp(chain[hop + 1] ?? '')
      // A trusted proxy always writes a valid address; anything else came from the client, so
      // the hop that passed it on is the last one known.
      if (!next) break
      current = formatIp(next)
      parsed = next
    }
    return current
  }
}

/** @internal The client address through `resolver`, given how the socket's peer is found. */
export function proxiedClientIp(
  resolver: ProxyResolver,
  peer: (c: Context) => string | null,
): (c: Context) => string | null {
  // Asked several times per request (rate limits, request meta, anomaly checks): the header is
  // walked and its addresses parsed once per request.
  const resolved = new WeakMap<Context, string | null>()
  return (c) => {
    let ip = resolved.get(c)
    if (ip === undefined) {
      ip = resolver(peer(c), c.req.header('x-forwarded-for'))
      resolved.set(c, ip)
    }
    return ip
  }
}
