import type { Plugin } from 'vite'
import { REFRESH_MARGIN_PLACEHOLDER } from '../server/app.js'

/**
 * Fills `<meta name="baton-refresh-margin">` in the dev server's `index.html`, as the production
 * server does for the built one, so short-TTL demos refresh with a small margin in both.
 */
export function refreshMarginPlugin(refreshMargin: number): Plugin {
  return {
    name: 'baton-refresh-margin',
    apply: 'serve',
    transformIndexHtml: (html) =>
      html.replaceAll(REFRESH_MARGIN_PLACEHOLDER, String(refreshMargin)),
  }
}
