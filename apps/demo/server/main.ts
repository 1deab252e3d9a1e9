/**
 * `pnpm start` / `pnpm serve`: the BFF, the API and the built SPA in one process, on one port.
 */
import { banner } from './banner.js'
import { loadConfig } from './config.js'
import { idpFromEnv, idpLine } from './idp-login.js'
import { runUntilSignal } from './run.js'
import { startDemoServer } from './start.js'

await runUntilSignal(async () => {
  const config = loadConfig(process.env, 'production')
  const server = await startDemoServer({ config, idp: idpFromEnv(process.env) })
  console.log(banner(config, [['App', server.url], ...idpLine(server.idpUrl)]))
  return server
})
