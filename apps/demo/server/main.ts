/**
 * `pnpm start` / `pnpm serve`: the BFF, the API and the built SPA in one process, on one port.
 */
import { banner } from './banner.js'
import { ConfigError, loadConfig } from './config.js'
import { startDemoServer } from './start.js'

try {
  const config = loadConfig(process.env, 'production')
  const server = await startDemoServer({ config })
  console.log(banner(config, [['App', server.url]]))
  const shutdown = () => {
    void server.close().then(() => process.exit(0))
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
