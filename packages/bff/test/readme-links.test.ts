/**
 * The READMEs link each other's sections (`../../README.md#the-http-contract`): every such anchor
 * must name a heading of its target, or the link silently lands at the top of the page. Kept here,
 * beside the BFF's tests, because no package runs tests outside its own folder.
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')

/** GitHub's heading anchor. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')

const anchorsOf = (file: string) =>
  new Set(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) => slug(line.replace(/^#+ /, ''))),
  )

describe('README cross-links', () => {
  it.each([
    'README.md',
    'packages/bff/README.md',
    'packages/client/README.md',
    'packages/react/README.md',
    'packages/protocol/README.md',
  ])('every #anchor link of %s names a heading that exists', (file) => {
    const path = resolve(ROOT, file)
    const text = readFileSync(path, 'utf8')
    const broken: string[] = []
    for (const [, target, anchor] of text.matchAll(/\]\(([^)#\s]*)#([^)\s]+)\)/g)) {
      if (/^[a-z][a-z+.-]*:/i.test(target!)) continue // another site's page
      const targetFile = target ? resolve(dirname(path), target) : path
      if (!anchorsOf(targetFile).has(anchor!)) broken.push(`${target}#${anchor}`)
    }
    expect(broken).toStrictEqual([])
  })
})
