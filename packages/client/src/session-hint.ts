/**
 * @module
 * The companion cookie. The BFF sets a script-readable cookie holding nothing secret together with
 * the HttpOnly refresh cookie, and clears it together with it (auth0-spa-js's `is.authenticated`
 * cookie). Without it, the browser holds no session: booting can skip the refresh that could only
 * answer 401, and an anonymous visit logs no red 401 in the console.
 */

/** @internal `document.cookie`, or `null` where there is no document (Node, workers). */
export const documentCookies = (): string | null => {
  try {
    const cookie = (globalThis as { document?: { cookie?: unknown } }).document?.cookie
    return typeof cookie === 'string' ? cookie : null
  } catch {
    // A sandboxed iframe without allow-same-origin throws on document.cookie: know nothing.
    return null
  }
}

/**
 * @internal The hint cookie `name`'s value in `cookies` (a `document.cookie` string): the BFF's
 * tag of the session that set it, the same across its refreshes and new with every sign-in;
 * `false` when there is none; `null` when that cannot be known (no document, or the check is
 * turned off), and the client must ask.
 */
export function sessionHintValue(
  cookies: string | null,
  name: string | false,
): string | false | null {
  if (cookies === null || name === false) return null
  for (const pair of cookies.split(';')) {
    const [key, ...value] = pair.split('=')
    if (key!.trim() === name) return value.join('=').trim()
  }
  return false
}

/**
 * @internal Whether `cookies` (a `document.cookie` string) holds the hint cookie `name`; `null`
 * when that cannot be known (no document, or the check is turned off), and the client must ask.
 */
export function hasSessionHint(cookies: string | null, name: string | false): boolean | null {
  const value = sessionHintValue(cookies, name)
  return value === null ? null : value !== false
}
