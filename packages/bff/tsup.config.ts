import { defineConfig } from 'tsup'

export default defineConfig({
  entry: [
    'src/index.ts',
    'src/stores/redis.ts',
    'src/stores/sqlite.ts',
    'src/stores/postgres.ts',
    'src/otel/index.ts',
    'src/oidc/index.ts',
    'src/crypto/node.ts',
    'src/crypto/web.ts',
    // The `baton-keys` bin; tsup keeps its shebang and makes it executable.
    'src/cli/baton-keys.ts',
  ],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
  // `#crypto` stays an import: package.json's `imports` picks node.js or web.js at run time.
  external: [
    'ioredis',
    'better-sqlite3',
    'pg',
    '@opentelemetry/api',
    'openid-client',
    'node:*',
    '#crypto',
  ],
})
