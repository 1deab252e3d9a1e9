/**
 * @module
 * The few statistics the benchmarks report. Percentiles use the nearest-rank method, so every
 * reported value is one that was actually measured.
 */

/** The `p`-th percentile (0–100) by nearest rank, or `NaN` for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!
}

/** The median; for an even count, the mean of the two middle values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Sum of the values. */
export const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0)

/** `a / b`, or `NaN` when `b` is zero or either is not a number. */
export const ratio = (a: number, b: number): number =>
  Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN

/** `ms` to one decimal, as the tables print milliseconds. */
export const tenths = (ms: number): number => Math.round(ms * 10) / 10
