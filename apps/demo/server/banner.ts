/**
 * @module
 * What the demo prints when it starts: where to go and how to sign in.
 */
import { redactUrl, type DemoConfig } from './config.js'
import { DEMO_ACCOUNTS } from './users.js'

const formatMs = (ms: number) =>
  ms % 86_400_000 === 0
    ? `${ms / 86_400_000}d`
    : ms % 3_600_000 === 0
      ? `${ms / 3_600_000}h`
      : ms % 60_000 === 0
        ? `${ms / 60_000}m`
        : ms % 1_000 === 0
          ? `${ms / 1_000}s`
          : `${ms}ms`

/** The start-up message: the URL(s), the session settings and the demo accounts. */
export function banner(config: DemoConfig, urls: Array<[label: string, url: string]>): string {
  const width = Math.max(...urls.map(([label]) => label.length))
  const store =
    config.store.kind === 'memory'
      ? 'memory (sessions are lost on restart)'
      : config.store.kind === 'sqlite'
        ? `sqlite (${config.store.path})`
        : `redis (${redactUrl(config.store.url)})`
  return [
    '',
    '  Baton demo',
    '',
    ...urls.map(([label, url]) => `  ${label.padEnd(width)}  ${url}`),
    '',
    `  Access token ${formatMs(config.accessTokenTtl)}, refreshed ${formatMs(config.refreshMargin)} before expiry;` +
      ` idle timeout ${formatMs(config.idleTimeout)}, absolute ${formatMs(config.absoluteTimeout)}.`,
    `  Session store: ${store}`,
    '',
    '  Demo accounts:',
    ...DEMO_ACCOUNTS.map(
      ({ user, password }) => `    ${user.username.padEnd(8)} password: ${password}`,
    ),
    '',
  ].join('\n')
}
