import react from '@vitejs/plugin-react'
import { defaultClientConditions, defineConfig, type Plugin } from 'vite'

const MODULE_ENTRY = '<script type="module" crossorigin'

/**
 * The built page loads its one bundle as a classic deferred script, not a module. Chromium 156
 * compiles a module script afresh at every page load: its background fetch streams the script
 * without the V8 code cache it keeps for it, which a classic script gets (`BENCHMARKS.md` section
 * 5). In a browser with an on-disk profile that put the refresh's grant about 40 ms sooner (143
 * against 183 ms from navigation), and the first visit was no slower; an off-the-record context,
 * which kept no code cache for it, was about 10 ms slower. `defer` keeps a module's timing: it
 * runs once the document is parsed.
 */
const classicEntry = (): Plugin => ({
  name: 'baton-demo:classic-entry',
  apply: 'build',
  enforce: 'post',
  transformIndexHtml(html) {
    const at = html.indexOf(MODULE_ENTRY)
    if (at === -1 || html.includes(MODULE_ENTRY, at + 1)) {
      throw new Error('classic-entry: expected exactly one module entry script in index.html')
    }
    return html.replace(MODULE_ENTRY, '<script defer')
  },
})

// `pnpm dev` (scripts/dev.ts) adds the dev server's port, its proxy to the BFF and the
// refresh-margin <meta>; `pnpm build` needs nothing from the environment.
export default defineConfig({
  plugins: [react(), classicEntry()],
  resolve: { conditions: ['@baton/source', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Maps are written for error reporting but not referenced from the bundles (the server also
    // refuses to serve them): the production demo does not publish its source.
    sourcemap: 'hidden',
    // One classic bundle (above): no chunks to preload, and the styles in a file of their own,
    // since an IIFE build would otherwise inject them with a <style> the CSP refuses.
    rollupOptions: { output: { format: 'iife' } },
    modulePreload: false,
    cssCodeSplit: false,
  },
})
