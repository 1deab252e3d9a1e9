/**
 * @module
 * The network an IP address belongs to: its IPv4 `/24` or its IPv6 `/48`, the blocks a home, an
 * office or a mobile carrier's gateway typically hands out from, so an address changing inside
 * them (DHCP, IPv6 privacy addresses) is no change of network.
 *
 * IPv6 is parsed by the WHATWG URL parser, which every runtime the BFF core runs on has (node:net
 * does not exist on edge runtimes): it validates the address and serialises it in the canonical
 * form of RFC 5952, which leaves only `::` to expand.
 * @internal
 */

const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`)

/** The eight 16-bit groups of an IPv6 address, or `null` when `ip` is not one. */
function ipv6Groups(ip: string): number[] | null {
  if (!ip.includes(':')) return null
  // A zone (`fe80::1%eth0`) names an interface, not a network, and the URL parser refuses it.
  const bare = ip.replace(/%.*$/, '')
  const url = `http://[${bare}]/`
  if (!URL.canParse(url)) return null
  const canonical = new URL(url).hostname.slice(1, -1)
  const [head = '', tail] = canonical.split('::')
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)))
  const left = groups(head)
  const right = tail === undefined ? [] : groups(tail)
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right]
}

/**
 * @internal `a.b.c.0/24` for IPv4 (and IPv4-mapped IPv6, what a dual-stack Node socket reports),
 * `x:y:z::/48` for IPv6, or `ip` itself when it is neither (a `clientIp` answering something else
 * is compared as written).
 */
export function networkOf(ip: string): string {
  const v4 = IPV4.exec(ip)
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`
  const groups = ipv6Groups(ip)
  if (!groups) return ip
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi = 0, lo = 0] = groups.slice(6)
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.0/24`
  }
  return `${groups
    .slice(0, 3)
    .map((g) => g.toString(16))
    .join(':')}::/48`
}
