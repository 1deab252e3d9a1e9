/**
 * @module
 * The shape every benchmark shares, so the runner can print, save and judge them alike.
 */
import type { MachineInfo } from './machine.js'

/** What a benchmark hands back to the runner. */
export interface BenchmarkOutcome {
  /** Markdown: the tables and the notes needed to read them. */
  report: string
  /** Saved as `results/<name>.json` (next to the date and machine). */
  data: Record<string, unknown>
  /** Budget violations and other reasons to exit non-zero; empty when all is well. */
  failures: string[]
}

/** Settings from the command line. */
export interface BenchSettings {
  machine: MachineInfo
  /** Log progress lines (to stderr, so stdout stays the tables). */
  log: (message: string) => void
  /** `--quick`: shorter runs, for trying the bench out; never for published figures. */
  quick: boolean
}

/** A benchmark: a name on the command line and a function. */
export interface Benchmark {
  name: string
  title: string
  run(settings: BenchSettings): Promise<BenchmarkOutcome>
}
