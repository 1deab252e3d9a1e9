/**
 * @module
 * Small display helpers.
 */

const twoDigits = (n: number) => String(n).padStart(2, '0')

// Times are written by hand, not with `Intl`: a page's first `Intl` call takes 20-28 ms in
// Chromium on a slow machine, in every new tab (each is a new renderer), and the dashboard writes
// times in its first render after sign-in (issue 18, BENCHMARKS 5).

/** `12:03:04`, on the 24-hour clock. */
export const clockTime = (ms: number) => {
  const date = new Date(ms)
  return `${twoDigits(date.getHours())}:${twoDigits(date.getMinutes())}:${twoDigits(date.getSeconds())}`
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** `Nov 22, 12:03`. */
export const dateTime = (ms: number) => {
  const date = new Date(ms)
  return `${MONTHS[date.getMonth()]} ${date.getDate()}, ${twoDigits(date.getHours())}:${twoDigits(date.getMinutes())}`
}

/** Made on first use (see above): only the pages that list devices need it. */
let relative: Intl.RelativeTimeFormat | undefined

/** `just now`, `3 minutes ago`, `2 days ago`. */
export function timeAgo(ms: number, now = Date.now()): string {
  const seconds = Math.round((ms - now) / 1000)
  if (Math.abs(seconds) < 45) return 'just now'
  relative ??= new Intl.RelativeTimeFormat('en', { numeric: 'auto' })
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
  return `${twoDigits(minutes)}:${twoDigits(seconds)}`
}

/** `[pattern, label]` rows, read top to bottom: the first pattern that matches names the thing. */
type LabelTable = readonly (readonly [RegExp, string])[]

/** Browsers by User-Agent. Edge and Headless Chrome say "Chrome" too, hence before it. */
const BROWSERS: LabelTable = [
  [/Edg\//, 'Edge'],
  [/HeadlessChrome\//, 'Headless Chrome'],
  [/(Chrome|CriOS)\//, 'Chrome'],
  [/(Firefox|FxiOS)\//, 'Firefox'],
  // Every Chromium browser says "Safari" too, hence last among the browsers.
  [/Safari\//, 'Safari'],
  [/node|undici|curl/i, 'Script'],
]

/** Operating systems by User-Agent. iPhones and iPads say "Mac OS X" too, hence before it. */
const SYSTEMS: LabelTable = [
  [/iPhone/, 'iPhone'],
  [/iPad/, 'iPad'],
  [/Android/, 'Android'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Windows/, 'Windows'],
  // Android says "Linux" too.
  [/Linux|X11/, 'Linux'],
]

/** The label of the first row of `table` whose pattern matches `text`, or `undefined`. */
const firstMatch = (table: LabelTable, text: string): string | undefined =>
  table.find(([pattern]) => pattern.test(text))?.[1]

/** A readable device name from a User-Agent: `Chrome on Linux`, `Safari on iPhone`. */
export function describeDevice(userAgent: string | null): { name: string; mobile: boolean } {
  if (!userAgent) return { name: 'Unknown device', mobile: false }
  const browser = firstMatch(BROWSERS, userAgent) ?? 'Browser'
  const os = firstMatch(SYSTEMS, userAgent)
  return {
    name: os ? `${browser} on ${os}` : browser,
    mobile: /Mobile|iPhone|Android/.test(userAgent),
  }
}
