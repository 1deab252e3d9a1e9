import { defineConfig } from 'tsup'

export default defineConfig({
  entry: ['src/index.ts', 'src/stores/redis.ts', 'src/stores/sqlite.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['ioredis', 'better-sqlite3', 'node:*'],
})
