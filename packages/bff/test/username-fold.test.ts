/**
 * The username fold against the collation it promises to match: every assigned code point is
 * sorted by `Intl.Collator`'s base sensitivity into classes of equal characters, and every class
 * must fold to one key (so each spelling of an account meets the same username budget). The same
 * sweep writes `src/rate-limit/fold-table.ts`:
 *
 *     BATON_WRITE_FOLD_TABLE=1 pnpm exec vitest run packages/bff/test/username-fold.test.ts
 *
 * Run it again when Node's ICU brings a newer Unicode, whose new letters the sweep here reports.
 */
import { writeFileSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Authenticate } from '../src/index.js'
import { fold, normalizeName } from '../src/rate-limit/fold.js'
import { authenticate, createHarness, passwordOf, T0, type Harness } from './helpers.js'

const collator = new Intl.Collator('en', { sensitivity: 'base' })
const same = (a: string, b: string) => collator.compare(a, b) === 0
const hex = (char: string) => char.codePointAt(0)!.toString(16)
const ASCII = /^[\x20-\x7e]+$/
const SCRIPTS = /^[\p{sc=Latin}\p{sc=Greek}\p{sc=Cyrillic}0-9]+$/u

/** Every assigned code point: the ignorable ones, and the rest in classes the collator calls equal. */
function sweep() {
  const unassigned = /[\p{Cs}\p{Co}\p{Cn}]/u
  const ignorable: string[] = []
  const rest: string[] = []
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    const char = String.fromCodePoint(cp)
    if (!unassigned.test(char)) (same(char, '') ? ignorable : rest).push(char)
  }
  const classes: string[][] = []
  for (const char of rest.sort(collator.compare)) {
    const last = classes.at(-1)
    if (last && same(last[0]!, char)) last.push(char)
    else classes.push([char])
  }
  return { ignorable, classes }
}
const { ignorable, classes } = sweep()

/**
 * The strings of two Latin, Greek or Cyrillic letters (or digits), each as it folds, sorted by
 * the collator: where a letter that collates as two (`ß` as `ss`, `æ` as `ae`) is looked up.
 */
const pairs = (() => {
  const atoms = new Set<string>()
  for (const members of classes) {
    const key = normalizeName(members[0]!)
    if ([...key].length === 1 && SCRIPTS.test(key) && same(key, members[0]!)) atoms.add(key)
  }
  const all: string[] = []
  for (const a of atoms) for (const b of atoms) all.push(a + b)
  return all.sort(collator.compare)
})()

/** The pairs of letters `char` collates equal to, ASCII first. */
function expansions(char: string): string[] {
  let low = 0
  let high = pairs.length
  while (low < high) {
    const mid = (low + high) >> 1
    if (collator.compare(pairs[mid]!, char) < 0) low = mid + 1
    else high = mid
  }
  const found: string[] = []
  for (let i = low; i < pairs.length && same(pairs[i]!, char); i++) found.push(pairs[i]!)
  return found.sort((a, b) => Number(ASCII.test(b)) - Number(ASCII.test(a)) || (a < b ? -1 : 1))
}

/**
 * The key of a class: what most of its members normalize to, ASCII first, among the strings that
 * collate as the class does; else the pair of letters it collates as (`ß`: `ss`).
 */
function keyOf(members: readonly string[]): string {
  const rep = members[0]!
  const counts = new Map<string, number>()
  for (const member of members) {
    const key = normalizeName(member)
    if (key !== '' && same(key, rep)) counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  const [best] = [...counts].sort(
    ([a, m], [b, n]) =>
      Number(ASCII.test(b)) - Number(ASCII.test(a)) ||
      n - m ||
      a.length - b.length ||
      (a < b ? -1 : 1),
  )
  if (best && ASCII.test(best[0])) return best[0]
  if (SCRIPTS.test(best?.[0] ?? rep.normalize('NFKD'))) {
    const [pair] = expansions(rep)
    if (pair !== undefined) return pair
  }
  // No member normalizes to a string that collates as the class does (`´`, NFKD a space and an
  // accent): folded further than the collation, which only shares a budget.
  return best?.[0] ?? normalizeName(rep)
}

/** The table `fold` replaces code points by before normalizing, as `fold-table.ts` encodes it. */
function table(): { runs: string[]; targets: string[] } {
  const entries = new Map<number, string>()
  for (const char of ignorable) {
    if (normalizeName(char) !== '') entries.set(char.codePointAt(0)!, '')
  }
  for (const members of classes) {
    const key = keyOf(members)
    for (const member of members) {
      if (normalizeName(member) !== key) entries.set(member.codePointAt(0)!, key)
    }
  }
  const targets: string[] = []
  const targetIndex = (target: string) => {
    if (!targets.includes(target)) targets.push(target)
    return `#${targets.indexOf(target)}`
  }
  // Runs of consecutive code points that map to one string, or to consecutive letters (digits).
  const runs: { first: number; last: number; target: string; shift: number | null }[] = []
  for (const [cp, target] of [...entries].sort(([a], [b]) => a - b)) {
    const single = [...target].length === 1 ? target.codePointAt(0)! : null
    const run = runs.at(-1)
    if (run && run.last === cp - 1) {
      if (run.shift !== null && single !== null && single - cp === run.shift) {
        run.last = cp
        continue
      }
      if (run.target === target && (run.first === run.last || run.shift === null)) {
        run.last = cp
        run.shift = null
        continue
      }
    }
    runs.push({ first: cp, last: cp, target, shift: single === null ? null : single - cp })
  }
  return {
    targets,
    runs: runs.map(({ first, last, target, shift }) => {
      const range =
        first === last ? first.toString(16) : `${first.toString(16)}-${last.toString(16)}`
      return `${range}:${shift === null ? targetIndex(target) : (first + shift).toString(16)}`
    }),
  }
}

describe('fold', () => {
  it('Should fold every character the base collator calls equal to one key', () => {
    const split = classes
      .filter((members) => new Set(members.map(fold)).size > 1)
      .map((members) => members.map((char) => `${hex(char)}→${JSON.stringify(fold(char))}`))
    expect(split).toStrictEqual([])
    expect(ignorable.filter((char) => fold(char) !== '').map(hex)).toStrictEqual([])
  })

  it('Should fold a letter that collates as two letters to those two', () => {
    const apart: string[] = []
    for (const members of classes) {
      const rep = members[0]!
      if (!SCRIPTS.test(rep.normalize('NFKD'))) continue
      for (const pair of expansions(rep)) {
        if (fold(rep) !== fold(pair)) apart.push(`${hex(rep)}: ${fold(rep)} ≠ ${fold(pair)}`)
      }
    }
    expect(apart).toStrictEqual([])
    expect(['ß', 'ẞ', 'Æ', 'œ', 'ĳ', 'ǆ'].map(fold)).toStrictEqual([
      'ss',
      'ss',
      'ae',
      'oe',
      'ij',
      'dz',
    ])
  })

  it('Should fold the letters that do not decompose to their base letters', () => {
    const letters = ['ł', 'Ł', 'ø', 'Ø', 'ǿ', 'đ', 'ð', 'Đ', 'ħ', 'Ħ', 'ŀ', 'Ａ', '🅰', 'ꞛ']
    for (const letter of letters) {
      expect(same(letter, fold(letter)), letter).toBe(true)
      expect(fold(letter), letter).toMatch(/^[a-z]$/)
    }
    expect(['١٢٣', '१२३', '１２３'].map(fold)).toStrictEqual(['123', '123', '123'])
  })

  it('Should fold names, not just letters, where case and context change the letter', () => {
    const pairsOfNames = [
      ['ΟΔΟΣ', 'οδοσ'],
      ['ΣΟΦΟΣ ΛΟΓΟΣ', 'σοφοσ λογοσ'],
      ['STRASSE', 'straße'],
      ['Col·lecció', 'coŀlecció'],
      ['paraL·lel', 'parallel'],
      ['ŁÓDŹ', 'lodz'],
      ['  Ørsted\u00AD ', 'orsted'],
      ['al\u0000ice', 'alice'],
    ] as const
    for (const [a, b] of pairsOfNames) {
      expect(same(a.trim(), b), `${a} / ${b}`).toBe(true)
      expect(fold(a), `${a} / ${b}`).toBe(fold(b))
    }
  })

  // Beyond the collation: an application comparing by upper case takes `alıce` for `alice`.
  it('Should give `alıce` (dotless ı) the key of `alice`, as `ALICE` and `ALİCE` do', () => {
    expect('alıce'.toUpperCase()).toBe('ALICE')
    expect(fold('ALİCE')).toBe(fold('alice'))
    expect(fold('alıce')).toBe(fold('alice'))
    expect(fold('mıchıgan')).toBe(fold('michigan'))
  })

  it('Should give a key that folds to itself', () => {
    const unstable = classes
      .flat()
      .filter((char) => fold(fold(char)) !== fold(char))
      .map(hex)
    expect(unstable).toStrictEqual([])
  })

  it.runIf(process.env.BATON_WRITE_FOLD_TABLE === '1')(
    'writes src/rate-limit/fold-table.ts',
    () => {
      const { runs, targets } = table()
      const lines: string[] = []
      let line = ''
      for (const run of runs) {
        if (line.length + run.length + 1 > 88) {
          lines.push(line)
          line = ''
        }
        line = line === '' ? run : `${line} ${run}`
      }
      lines.push(line)
      const escape = (target: string) =>
        `'${[...target]
          .map((char) =>
            char === "'" || char === '\\'
              ? `\\${char}`
              : ASCII.test(char)
                ? char
                : `\\u{${hex(char)}}`,
          )
          .join('')}'`
      const source = `/**
 * @module
 * Generated by \`test/username-fold.test.ts\` (\`BATON_WRITE_FOLD_TABLE=1\`) from
 * \`new Intl.Collator('en', { sensitivity: 'base' })\`, ICU ${process.versions.icu}, Unicode ${process.versions.unicode}:
 * do not edit. Every assigned code point the collator calls equal to another but \`normalizeName\`
 * keeps apart (\`ł\`/\`l\`, \`ß\`/\`ss\`, \`١\`/\`1\`), or that it ignores and \`normalizeName\` keeps.
 * Static, so the fold is the same on every runtime, whatever collation data it ships.
 * @internal
 */

/** What a run maps every code point of it to, by index (\`#0\`). */
export const FOLD_TARGETS: readonly string[] = [${targets.map(escape).join(', ')}]

/**
 * Space-separated runs \`first[-last]:target\`, code points in hex: \`target\` a code point (the
 * run maps to consecutive ones, \`0660-0669:30\` is Arabic-Indic digits to ASCII) or \`#i\`, the
 * {@link FOLD_TARGETS} string every code point of the run maps to.
 */
export const FOLD_RUNS: readonly string[] = [
${lines.map((l) => `  '${l}',`).join('\n')}
]
`
      writeFileSync(new URL('../src/rate-limit/fold-table.ts', import.meta.url), source)
    },
  )
})

const ATTACKER = '203.0.113.9'

const attempt = (h: Harness, username: string, password: string, ip: string) =>
  h.post('/login', {
    ip,
    headers: { 'content-type': 'application/json', 'user-agent': 'test-agent' },
    body: JSON.stringify({ username, password }),
  })

async function expectLimited(res: Response, retryAfter: number) {
  expect({
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    body: await res.json(),
  }).toStrictEqual({
    status: 429,
    retryAfter: String(retryAfter),
    body: { error: { code: 'rate_limited', message: expect.any(String), retryAfter } },
  })
}

describe('username delay, behind an authenticate that compares by collation', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(T0)
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('Should share one username budget between names Intl.Collator (base) treats as the same account', async () => {
    const collating: Authenticate = (credentials, c) => {
      const known = ['alice', 'bob'].find((name) => same(name, credentials.username))
      return authenticate({ ...credentials, username: known ?? credentials.username }, c)
    }
    const h = await createHarness({
      authenticate: collating,
      rateLimit: { login: false, username: { points: 2, delay: '60s', maxDelay: '60s' } },
    })
    expect((await attempt(h, 'alice', 'a', ATTACKER)).status).toBe(401)
    expect((await attempt(h, 'alice', 'b', ATTACKER)).status).toBe(401)
    // Each is the same account for the collation authenticate uses (checked here), so each must
    // meet the same wait instead of a fresh budget and a password check.
    for (const variant of ['ałice', 'AŁICE', 'ａｌｉｃｅ', 'aŀice']) {
      expect(same(variant, 'alice'), variant).toBe(true)
      await expectLimited(await attempt(h, variant, passwordOf('alice'), ATTACKER), 60)
    }
  })
})
