/**
 * @module
 * IP addresses as rate-limit keys. Pure TypeScript (no `node:net`), so the core keeps running on
 * edge runtimes: a client's key is its IPv4 address or its IPv6 /64 (one subscriber line gets a
 * whole /64, so keying single IPv6 addresses would hand an attacker 2^64 budgets), and its network
 * is the IPv4 /24 or IPv6 /48 around it.
 * @internal
 */

/** A parsed address: four bytes, or eight 16-bit groups. IPv4-mapped IPv6 parses as IPv4. */
export type ParsedIp = { version: 4; bytes: number[] } | { version: 6; groups: number[] }

const V6_GROUP = /^[0-9a-f]{1,4}$/i
const DOT = 46
const ZERO = 48
const NINE = 57

/**
 * Dotted IPv4: four parts of 1 to 3 digits, 0 to 255, no leading zero. Scanned by hand: every
 * request parses its client's address several times (proxy chain, rate-limit key), and a split
 * with a regular expression per part cost more than the rest of the key.
 */
function parseV4(text: string): number[] | null {
  const bytes: number[] = []
  let value = 0
  let digits = 0
  for (let i = 0; i <= text.length; i++) {
    // The end of the text closes the last part, as a dot closes the others.
    const code = i < text.length ? text.charCodeAt(i) : DOT
    if (code === DOT) {
      if (digits === 0 || value > 255 || bytes.length === 4) return null
      bytes.push(value)
      value = 0
      digits = 0
    } else if (code >= ZERO && code <= NINE) {
      if ((digits > 0 && value === 0) || ++digits > 3) return null
      value = value * 10 + (code - ZERO)
    } else {
      return null
    }
  }
  return bytes.length === 4 ? bytes : null
}

function parseV6(text: string): number[] | null {
  // A zone (`fe80::1%eth0`) names an interface of this host, not another client.
  let rest = text.split('%')[0] ?? ''
  let embedded: number[] | null = null
  if (rest.includes('.')) {
    const colon = rest.lastIndexOf(':')
    embedded = parseV4(rest.slice(colon + 1))
    if (!embedded) return null
    rest = `${rest.slice(0, colon + 1)}0:0`
  }
  const halves = rest.split('::')
  if (halves.length > 2) return null
  const split = (half: string) => (half === '' ? [] : half.split(':'))
  const head = split(halves[0] ?? '')
  const tail = halves.length === 2 ? split(halves[1] ?? '') : []
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null
  const texts = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail]
  if (!texts.every((group) => V6_GROUP.test(group))) return null
  const groups = texts.map((group) => parseInt(group, 16))
  if (embedded) {
    groups[6] = (embedded[0]! << 8) | embedded[1]!
    groups[7] = (embedded[2]! << 8) | embedded[3]!
  }
  return groups
}

/** Parses an IPv4 or IPv6 address (brackets and zone allowed), or `null` for anything else. */
export function parseIp(text: string): ParsedIp | null {
  const trimmed = text.trim()
  const bare = trimmed.startsWith('[') ? trimmed.replace(/^\[(.*)\]$/, '$1') : trimmed
  const v4 = parseV4(bare)
  if (v4) return { version: 4, bytes: v4 }
  const groups = bare.includes(':') ? parseV6(bare) : null
  if (!groups) return null
  // ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket: it must share the IPv4 budget.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6]!, groups[7]!]
    return { version: 4, bytes: [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff] }
  }
  return { version: 6, groups }
}

/** The canonical text of an address: dotted IPv4, or eight lowercase hex groups. */
export function formatIp(ip: ParsedIp): string {
  return ip.version === 4
    ? ip.bytes.join('.')
    : ip.groups.map((group) => group.toString(16)).join(':')
}

const prefix = (groups: number[], count: number) =>
  groups
    .slice(0, count)
    .map((group) => group.toString(16))
    .join(':')

// An address the application's own `clientIp` returned but that does not parse still gets a
// budget of its own, capped so a hostile value cannot bloat the counter store.
const opaque = (ip: string) => `?${ip.slice(0, 64)}`

/** The per-client key: the IPv4 address, or the IPv6 /64. */
export function clientKey(ip: string): string {
  const parsed = parseIp(ip)
  if (!parsed) return opaque(ip)
  return parsed.version === 4 ? formatIp(parsed) : `${prefix(parsed.groups, 4)}::/64`
}

/** The network around a client: the IPv4 /24, or the IPv6 /48. */
export function networkKey(ip: string): string {
  const parsed = parseIp(ip)
  if (!parsed) return opaque(ip)
  return parsed.version === 4
    ? `${parsed.bytes.slice(0, 3).join('.')}.0/24`
    : `${prefix(parsed.groups, 3)}::/48`
}
