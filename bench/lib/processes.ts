/**
 * @module
 * Child processes the benchmarks start: servers under test, load generators, measurement workers.
 * Every child is tracked, so the runner can stop all of them on success, failure or Ctrl-C, and the
 * bench never leaves a server behind.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The bench package's directory (where `tsx` and the other dev dependencies resolve from). */
export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..')

const children = new Set<ChildProcess>()

// Last resort: whatever is still running when the runner exits goes with it.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})

/** Starts a tracked child process; it is forgotten once it exits. */
export function spawnTracked(command: string, args: readonly string[], options: SpawnOptions = {}) {
  const child = spawn(command, args, { cwd: BENCH_DIR, ...options })
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

/**
 * Node arguments that run a TypeScript file of this package: tsx as a loader inside the one
 * process (the `tsx` CLI would add a relay process), workspace packages from their sources.
 */
export const tsNodeArgs = (file: string, extra: readonly string[] = []) => [
  ...extra,
  '--conditions=@baton/source',
  '--import',
  'tsx',
  file,
]

/** Stops a child: SIGTERM, then SIGKILL if it is still alive after `graceMs`. */
export function stop(child: ChildProcess, graceMs = 2_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/** Stops every child still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((child) => stop(child)))
}

/**
 * Resolves with the first stdout line of `child` that starts with `prefix` (the rest of the line,
 * parsed as JSON). Rejects if the child exits first or nothing comes within `timeoutMs`; the
 * child's stderr is kept for the error message.
 */
export function waitForLine<T>(child: ChildProcess, prefix: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4_000)
    })
    const lines = createInterface({ input: child.stdout! })
    const fail = (why: string) => {
      clearTimeout(timer)
      child.off('exit', onExit)
      lines.close()
      reject(new Error(`${why}${stderr ? `\n--- stderr ---\n${stderr}` : ''}`))
    }
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`exited (${code ?? signal}) before "${prefix}"`)
    const timer = setTimeout(() => fail(`no "${prefix}" line within ${timeoutMs} ms`), timeoutMs)
    child.once('exit', onExit)
    lines.on('line', (line) => {
      if (!line.startsWith(prefix)) return
      clearTimeout(timer)
      child.off('exit', onExit)
      lines.close()
      // Keep draining, so a chatty child never blocks on a full pipe.
      child.stdout?.resume()
      try {
        resolve(JSON.parse(line.slice(prefix.length)) as T)
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)))
      }
    })
  })
}

/**
 * Peak resident set size of a live process in bytes (`VmHWM` in `/proc/<pid>/status`), or `NaN`
 * where `/proc` is not available.
 */
export function peakRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1]
    return kb === undefined ? Number.NaN : Number(kb) * 1024
  } catch {
    return Number.NaN
  }
}
