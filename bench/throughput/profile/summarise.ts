/**
 * @module
 * Summarises a V8 `.cpuprofile`: self time by function and by file (package), top entries.
 * Usage: `node profile/summarise.ts <file.cpuprofile> [top]`.
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount: number
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

const profile = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Profile
const top = Number(process.argv[3] ?? 30)
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const selfUs = new Map<number, number>()
profile.samples.forEach((id, i) =>
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
)
const total = [...selfUs.values()].reduce((a, b) => a + b, 0)

const where = (url: string) => {
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return pkg[1]!
  const src = /packages\/([^/]+)\/src\/(.*)$/.exec(url)
  if (src) return `@baton/${src[1]}/${src[2]}`
  return url === '' ? '(native)' : url.replace(/^.*\//, '')
}
const add = (map: Map<string, number>, key: string, us: number) =>
  map.set(key, (map.get(key) ?? 0) + us)
const functions = new Map<string, number>()
const files = new Map<string, number>()
for (const [id, us] of selfUs) {
  const { callFrame } = byId.get(id)!
  const file = where(callFrame.url)
  add(
    functions,
    `${callFrame.functionName || '(anonymous)'} ${file}:${callFrame.lineNumber + 1}`,
    us,
  )
  add(files, file, us)
}
const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`)
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(
      `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`,
    )
  }
}
console.log(`total sampled: ${(total / 1000).toFixed(0)} ms`)
print('self time by file/package', files)
print('self time by function', functions)
