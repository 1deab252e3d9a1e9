/**
 * @module
 * Result files: `bench/results/<name>.json` (git-ignored), one per benchmark, overwritten by each
 * run.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { MachineInfo } from './machine.js'
import { BENCH_DIR } from './processes.js'

/** Where results go. */
export const RESULTS_DIR = join(BENCH_DIR, 'results')

/** Writes `results/<name>.json` with the date and machine next to the data; returns its path. */
export function writeResult(
  name: string,
  machine: MachineInfo,
  data: Record<string, unknown>,
): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = join(RESULTS_DIR, `${name}.json`)
  const body = { benchmark: name, date: new Date().toISOString(), machine, ...data }
  writeFileSync(file, `${JSON.stringify(body, null, 2)}\n`)
  return file
}

/** Writes a text file into `results/`; returns its path. */
export function writeText(name: string, text: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const file = join(RESULTS_DIR, name)
  writeFileSync(file, text)
  return file
}
