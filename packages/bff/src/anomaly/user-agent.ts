/**
 * @module
 * A user agent reduced to what does not change between a browser's updates: its family and its
 * operating system, parsed by bowser.
 * @internal
 */
import Bowser from 'bowser'

/**
 * @internal `"<browser> on <os>"` for a user agent bowser recognises, the product token (`curl`
 * of `curl/8.4.0`) of one it does not, or `null` without a `User-Agent` header. Versions are left
 * out, so a browser update is no change.
 */
export function userAgentFamily(userAgent: string | null): string | null {
  if (userAgent === null) return null
  if (userAgent.length > MAX_REMEMBERED_LENGTH) return parse(userAgent)
  const known = families.get(userAgent)
  if (known !== undefined) return known
  const family = parse(userAgent)
  // A few browsers send nearly every request: parsing each refresh's header again (bowser tries
  // its regular expressions one after the other) cost ~5% of a refresh. Bounded, because the
  // header is the client's to choose; when full it starts over rather than tracking recency.
  if (families.size >= MAX_FAMILIES) families.clear()
  families.set(userAgent, family)
  return family
}

/** Distinct `User-Agent` headers remembered, each at most this long: at most ~0.5 MB. */
const MAX_FAMILIES = 1_000
const MAX_REMEMBERED_LENGTH = 512
const families = new Map<string, string | null>()

function parse(userAgent: string): string | null {
  const trimmed = userAgent.trim()
  // Bowser throws on an empty string; a header sent empty says as little as a missing one.
  if (trimmed === '') return null
  const { browser, os } = Bowser.parse(trimmed)
  const name = browser.name ?? ''
  const system = os.name ?? ''
  if (name !== '' || system !== '') return `${name || 'unknown'} on ${system || 'unknown'}`
  // Not a browser (a script, a native client): its product name is what stays across versions.
  return trimmed.split(/[\s/]/, 1)[0]!
}
