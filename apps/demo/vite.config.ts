import react from '@vitejs/plugin-react'
import { defaultClientConditions, defineConfig } from 'vite'

// `pnpm dev` (scripts/dev.ts) adds the dev server's port, its proxy to the BFF and the
// refresh-margin <meta>; `pnpm build` needs nothing from the environment.
export default defineConfig({
  plugins: [react()],
  resolve: { conditions: ['@baton/source', ...defaultClientConditions] },
  // Maps are written for error reporting but not referenced from the bundles (the server also
  // refuses to serve them): the production demo does not publish its source.
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: 'hidden' },
})
