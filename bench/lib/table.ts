/**
 * @module
 * Tables printed as Markdown: readable in a terminal and pasted as is into `BENCHMARKS.md`.
 */

/** A cell: text as is, numbers formatted by {@link formatNumber}, `null` as an em dash. */
export type Cell = string | number | null

/**
 * Formats a number for a table: thousands separators, no decimals from 100 up (a rate of
 * 3,456.7 req/s is not that precise), two decimals below (latencies in ms, ratios).
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–'
  const digits = Number.isInteger(value) || Math.abs(value) >= 100 ? 0 : 2
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  })
}

const render = (cell: Cell) =>
  cell === null ? '–' : typeof cell === 'number' ? formatNumber(cell) : cell

/** A Markdown table; numeric columns are right-aligned. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
): string {
  const text = rows.map((row) => headers.map((_, i) => render(row[i] ?? null)))
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((row) => typeof row[i] !== 'string'),
  )
  const widths = headers.map((header, i) =>
    Math.max(3, header.length, ...text.map((row) => row[i]!.length)),
  )
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join(' | ')} |`
  const rule = `| ${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`
  return [line(headers), rule, ...text.map(line)].join('\n')
}
