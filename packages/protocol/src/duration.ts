/**
 * A duration in milliseconds, or a string such as `'10s'`, `'5m'`, `'24h'`, `'30d'`, `'250ms'`.
 * Every time option of the BFF and the client takes one.
 */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/**
 * Parses a {@link Duration} into milliseconds. Throws a `TypeError` naming `option` for anything
 * that is not a finite, non-negative duration, so a misconfiguration fails at start-up.
 *
 * @example
 * ```ts
 * parseDuration('5m', 'accessTokenTtl') // 300000
 * ```
 */
export function parseDuration(value: Duration | (string & {}), option: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new TypeError(`${option} must be a non-negative number of milliseconds, got ${value}`)
    }
    return value
  }
  const match = typeof value === 'string' && /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value)
  if (!match) {
    throw new TypeError(
      `${option} must be a duration such as "10s", "5m" or "24h", got "${String(value)}"`,
    )
  }
  const unit = (match[2] ?? 'ms') as keyof typeof UNIT_MS
  return Math.round(Number(match[1]) * UNIT_MS[unit])
}
