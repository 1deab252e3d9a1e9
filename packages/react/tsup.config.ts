import { defineConfig } from 'tsup'

export default defineConfig({
  // `ky` is its own entry so that only an app importing @baton/react/ky pulls in ky.
  entry: ['src/index.ts', 'src/ky.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'browser',
  // Bundling drops the per-file 'use client' directives; React Server Components need it on the
  // entry, since every export here is a client component or hook (or the re-exported client).
  // The banner goes on every output file, the ky entry (and any shared chunk) included: ky's
  // instance is built on the browser-only client, so it is client code too.
  banner: { js: "'use client'" },
})
