import { fileURLToPath } from 'node:url'
import { defineProject, mergeConfig } from 'vitest/config'
import { sourceConditions } from '../../vitest.shared'

export default mergeConfig(
  sourceConditions,
  defineProject({
    // The global setup is loaded by vitest's own module runner, which does not apply the
    // `@baton/source` condition: point it at the BFF's sources directly (its `#crypto` and
    // `@baton/protocol` imports included, which that runner would otherwise resolve to the
    // unbuilt dist/).
    resolve: {
      alias: {
        '@baton/bff': fileURLToPath(new URL('../bff/src/index.ts', import.meta.url)),
        '@baton/protocol': fileURLToPath(new URL('../protocol/src/index.ts', import.meta.url)),
        '#crypto': fileURLToPath(new URL('../bff/src/crypto/node.ts', import.meta.url)),
      },
    },
    test: {
      name: 'react',
      environment: 'happy-dom',
      include: ['src/**/*.test.{ts,tsx}', 'test/**/*.test.{ts,tsx}'],
      // Type tests: checked by tsc, never run.
      typecheck: { enabled: true, include: ['src/**/*.test-d.{ts,tsx}'] },
      // The BFF runs in the main process, outside happy-dom (see test/bff.ts).
      globalSetup: ['test/global-setup.ts'],
      testTimeout: 30_000,
    },
  }),
)
