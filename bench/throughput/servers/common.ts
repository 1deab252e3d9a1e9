/**
 * @module
 * What every server under test shares: its settings from the environment, and the line that tells
 * the parent it is listening. Each server runs alone in its own process, so its peak RSS is its
 * own and it never shares an event loop with the load generator.
 */

/** The origin the load generator claims to come from (Baton's CSRF check wants an allowed one). */
export const APP_ORIGIN = 'http://localhost:5173'

/** Settings passed by `throughput.ts`. */
export const serverEnv = {
  store: process.env.BENCH_STORE ?? 'memory',
  redisUrl: process.env.BATON_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  /** Key prefix owned by this server; the parent deletes its keys afterwards. */
  redisPrefix: process.env.BENCH_REDIS_PREFIX ?? 'baton-bench:throughput:',
}

/** Tells the parent the port (it parses this line). */
export const announce = (port: number) => {
  process.stdout.write(`READY ${JSON.stringify({ port, pid: process.pid })}\n`)
}

/** Runs `close` on SIGTERM or SIGINT, then exits. */
export function onShutdown(close: () => Promise<void>): void {
  const shutdown = () => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGTERM', shutdown)
  process.once('SIGINT', shutdown)
}
