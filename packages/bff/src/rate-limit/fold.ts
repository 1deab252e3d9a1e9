/**
 * @module
 * The username fold: one key for every spelling of a name that a collation compares equal, so
 * that variants of one account share a rate-limit budget.
 * @internal
 */
import { FOLD_RUNS, FOLD_TARGETS } from './fold-table.js'

const IGNORABLE = /[\p{Default_Ignorable_Code_Point}\p{Mn}]/gu
// `toLowerCase` writes a capital sigma at the end of a word as `ς`, elsewhere as `σ`: one letter
// to a collation, so one here, whatever the word boundaries of the name.
const FINAL_SIGMA = /ς/g
// The one contraction of the root collation among Latin, Greek and Cyrillic letters and the
// marks and punctuation after them: `l·` (Catalan's `ŀ`, NFKD `l·`) is `l`. `·` alone is not.
const L_MIDDLE_DOT = /l\u00B7/g

/**
 * @internal What normalization alone folds together: case, compatibility forms (fullwidth,
 * ligatures, circled letters), combining marks and default-ignorable code points (soft hyphen,
 * zero-width space). Folds `ł` and `l` apart: that is {@link FOLD_RUNS}'s part.
 */
export const normalizeName = (name: string): string =>
  name
    .normalize('NFKD')
    .replace(IGNORABLE, '')
    .normalize('NFKC')
    .toLowerCase()
    .replace(FINAL_SIGMA, 'σ')
    .replace(L_MIDDLE_DOT, 'l')

/** {@link FOLD_RUNS} decoded: code point → what it is replaced with. */
const TABLE = new Map<number, string>([
  // Beyond the collator, which keeps it apart: Turkish dotless `ı` upper-cases to `I`, so an
  // application comparing names by upper case (or MySQL's `utf8mb4_general_ci`) takes `alıce`
  // for `alice`, and each `i` spelt `ı` would be a fresh budget against one account.
  [0x131, 'i'],
])
for (const run of FOLD_RUNS.join(' ').split(' ')) {
  const [range = '', target = ''] = run.split(':')
  const [first = 0, last = first] = range.split('-').map((hex) => parseInt(hex, 16))
  const fixed = target.startsWith('#') ? FOLD_TARGETS[Number(target.slice(1))] : undefined
  const shifted = parseInt(target, 16)
  for (let cp = first; cp <= last; cp++) {
    TABLE.set(cp, fixed ?? String.fromCodePoint(shifted + cp - first))
  }
}

/**
 * @internal The name folded as loosely as `Intl.Collator`'s base sensitivity (and the
 * accent-insensitive collations of databases) compares it: any two names it calls equal get one
 * key. Letters with no decomposition (`ł`, `ø`, `đ`, `ħ`) come to their base letter, those that
 * collate as two letters (`ß`, `æ`, `œ`) to those two, digits of every script to ASCII ones, and
 * what the collation ignores (control characters, formatting marks) to nothing. It may fold
 * further than the collation (`й` and `и`): that only shares a budget between two names, where
 * every difference kept would be a fresh budget per variant of the one account.
 */
export function fold(username: string): string {
  // Looked up before NFKD, for the characters whose decomposition collates otherwise (`ͺ` is an
  // iota, NFKD a space and a mark), and after, for those NFKD brings (`ǿ`: an `ø` and an accent).
  return normalizeName(replace(replace(username).normalize('NFKD'))).trim()
}

function replace(text: string): string {
  let replaced = ''
  for (const char of text) replaced += TABLE.get(char.codePointAt(0)!) ?? char
  return replaced
}
