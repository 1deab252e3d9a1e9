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
  const trimmed = userAgent?.trim() ?? ''
  // Bowser throws on an empty string; a header sent empty says as little as a missing one.
  if (trimmed === '') return null
  const { browser, os } = Bowser.parse(trimmed)
  const name = browser.name ?? ''
  const system = os.name ?? ''
  if (name !== '' || system !== '') return `${name || 'unknown'} on ${system || 'unknown'}`
  // Not a browser (a script, a native client): its product name is what stays across versions.
  return trimmed.split(/[\s/]/, 1)[0]!
}
