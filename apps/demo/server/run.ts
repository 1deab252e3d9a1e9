/**
 * @module
 * How the demo's long-running commands (`pnpm start`, `pnpm dev`) live and die.
 */
import { ConfigError } from './config.js'

/**
 * Starts something long-running, stops it cleanly on SIGINT/SIGTERM, and turns a start-up
 * failure (a bad environment variable above all) into one readable line and exit code 1.
 */
export async function runUntilSignal(start: () => Promise<{ close(): Promise<unknown> }>) {
  try {
    const running = await start()
    const shutdown = () => {
      void running.close().then(() => process.exit(0))
    }
    process.once('SIGINT', shutdown)
    process.once('SIGTERM', shutdown)
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`[demo] Invalid configuration: ${error.message}`)
    } else {
      console.error('[demo] Could not start:', error instanceof Error ? error.message : error)
    }
    process.exit(1)
  }
}
