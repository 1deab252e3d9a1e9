/**
 * @module
 * Servers under test are bundled with esbuild and run with plain `node`: no TypeScript loader in
 * the measured process (it would add start-up time and resident memory that production does not
 * have), and the workspace packages come from their sources (`@baton/source`), so no package
 * build is needed first.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { BENCH_DIR } from './processes.js'

/** A temporary directory with one `<name>.mjs` per entry; `remove()` deletes it. */
export interface NodeBundles {
  files: Record<string, string>
  remove(): void
}

/** Bundles each entry (`name → path relative to bench/`) for Node 20. */
export async function bundleForNode(entries: Record<string, string>): Promise<NodeBundles> {
  const outdir = mkdtempSync(join(tmpdir(), 'baton-bench-'))
  try {
    await build({
      entryPoints: Object.fromEntries(
        Object.entries(entries).map(([name, path]) => [name, join(BENCH_DIR, path)]),
      ),
      absWorkingDir: BENCH_DIR,
      outdir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['@baton/source'],
      // CommonJS dependencies (express, ioredis) call require() for Node built-ins; an ESM bundle
      // has no require of its own.
      banner: {
        js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);",
      },
      logLevel: 'error',
    })
  } catch (error) {
    rmSync(outdir, { recursive: true, force: true })
    throw error
  }
  const remove = () => {
    process.off('exit', remove)
    rmSync(outdir, { recursive: true, force: true })
  }
  // Also when the runner exits early (Ctrl-C, a failure before `remove()` is reached).
  process.once('exit', remove)
  return {
    files: Object.fromEntries(
      Object.keys(entries).map((name) => [name, join(outdir, `${name}.mjs`)]),
    ),
    remove,
  }
}
