import { defineConfig } from 'tsup'

export default defineConfig({
  // `ky` is its own entry, so the core bundle never imports ky (an optional peer).
  entry: ['src/index.ts', 'src/ky.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'browser',
})
