/**
 * `pnpm dev`: the demo BFF and API on `PORT` (3001), and Vite on `VITE_PORT` (5173) with hot
 * reload, proxying `/auth`, `/api` and `/.well-known` to the BFF, so the browser sees one origin
 * (the refresh cookie is first-party and the CSRF Origin check passes unchanged).
 */
import { fileURLToPath } from 'node:url'
import { createServer } from 'vite'
import { banner } from '../server/banner.js'
import { loadConfig } from '../server/config.js'
import { runUntilSignal } from '../server/run.js'
import { idpFromEnv, idpLine } from '../server/idp-login.js'
import { startDemoServer } from '../server/start.js'
import { refreshMarginPlugin } from './refresh-margin-plugin.js'

const root = fileURLToPath(new URL('..', import.meta.url))

await runUntilSignal(async () => {
  const config = loadConfig(process.env, 'development')
  // The browser sees Vite's origin (it proxies /auth): the provider sends it back there.
  const bff = await startDemoServer({
    config,
    idp: idpFromEnv(process.env),
    appUrl: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.vitePort}`,
  })
  const target = bff.url
  const vite = await createServer({
    root,
    configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)),
    plugins: [refreshMarginPlugin(config.refreshMargin)],
    server: {
      host: config.host,
      port: config.vitePort,
      strictPort: true,
      // Host is kept (no changeOrigin): the BFF then sees the page's own origin, which is what
      // its default allowedOrigins compares the browser's Origin header with.
      proxy: { '/auth': { target }, '/api': { target }, '/.well-known': { target } },
    },
  })
  await vite.listen()
  const appUrl =
    vite.resolvedUrls?.local[0]?.replace(/\/$/, '') ?? `http://${config.host}:${config.vitePort}`
  console.log(
    banner(config, [['App (Vite)', appUrl], ['BFF + API', bff.url], ...idpLine(bff.idpUrl)]),
  )

  return { close: () => Promise.allSettled([vite.close(), bff.close()]) }
})
