import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'browser',
  // Bundling drops the per-file 'use client' directives; React Server Components need it on the
  // entry, since every export here is a client component or hook (or the re-exported client).
  banner: { js: "'use client'" },
})
