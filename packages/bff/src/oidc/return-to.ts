/**
 * @module
 * Where a sign-in may send the browser back to: a path on the BFF's own origin, never another
 * site (an open redirect turns the BFF's good name into a phishing link).
 * @internal
 */

// Control characters, and the backslash that browsers read as a slash (`/\evil.example`).
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const UNSAFE = /[\u0000-\u001F\u007F\\]/u

/**
 * @internal `value` as a same-origin path (`/path?query#hash`), `fallback` when it is absent, or
 * `null` when it points anywhere else: an absolute URL, a scheme-relative `//host`, a
 * `/\host`, a path with control characters, anything that resolves off `origin`.
 */
export function safeReturnTo(
  value: string | undefined,
  origin: string,
  fallback = '/',
): string | null {
  if (value === undefined || value === '') return fallback
  if (
    value.length > 2048 ||
    !value.startsWith('/') ||
    value.startsWith('//') ||
    UNSAFE.test(value)
  ) {
    return null
  }
  let url: URL
  try {
    url = new URL(value, origin)
  } catch {
    return null
  }
  // Judged once normalised: dot segments turn `/.//host` or `/a/..//host` into the
  // scheme-relative `//host`, which the browser would resolve off the origin.
  if (url.origin !== origin || url.pathname.startsWith('//')) return null
  return `${url.pathname}${url.search}${url.hash}`
}
