/**
 * @module
 * Small display helpers.
 */

/** `12:03:04`. */
export const clockTime = (ms: number) =>
  new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })

/** `Nov 22, 12:03`. */
export const dateTime = (ms: number) =>
  new Date(ms).toLocaleString([], {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  })

const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' })

/** `just now`, `3 minutes ago`, `2 days ago`. */
export function timeAgo(ms: number, now = Date.now()): string {
  const seconds = Math.round((ms - now) / 1000)
  if (Math.abs(seconds) < 45) return 'just now'
  const minutes = Math.round(seconds / 60)
  if (Math.abs(minutes) < 60) return relative.format(minutes, 'minute')
  const hours = Math.round(minutes / 60)
  if (Math.abs(hours) < 24) return relative.format(hours, 'hour')
  return relative.format(Math.round(hours / 24), 'day')
}

/** `04:59` for a duration in ms (never negative). */
export function countdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000))
  const minutes = Math.floor(total / 60)
  const seconds = total % 60
  return `${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}`
}

/** A readable device name from a User-Agent: `Chrome on Linux`, `Safari on iPhone`. */
export function describeDevice(userAgent: string | null): { name: string; mobile: boolean } {
  if (!userAgent) return { name: 'Unknown device', mobile: false }
  const ua = userAgent
  const browser = /Edg\//.test(ua)
    ? 'Edge'
    : /HeadlessChrome\//.test(ua)
      ? 'Headless Chrome'
      : /(Chrome|CriOS)\//.test(ua)
        ? 'Chrome'
        : /(Firefox|FxiOS)\//.test(ua)
          ? 'Firefox'
          : /Safari\//.test(ua)
            ? 'Safari'
            : /node|undici|curl/i.test(ua)
              ? 'Script'
              : 'Browser'
  const os = /iPhone/.test(ua)
    ? 'iPhone'
    : /iPad/.test(ua)
      ? 'iPad'
      : /Android/.test(ua)
        ? 'Android'
        : /Mac OS X|Macintosh/.test(ua)
          ? 'macOS'
          : /Windows/.test(ua)
            ? 'Windows'
            : /Linux|X11/.test(ua)
              ? 'Linux'
              : null
  return {
    name: os ? `${browser} on ${os}` : browser,
    mobile: /Mobile|iPhone|Android/.test(ua),
  }
}
