import { defineProject, mergeConfig } from 'vitest/config'
import { sourceConditions } from '../../vitest.shared'

export default mergeConfig(
  sourceConditions,
  defineProject({
    test: {
      name: 'client',
      environment: 'node',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      // Every test sets up its own BFF, browser and fake clock and tears them down (harness.ts), so
      // the files can share one module cache: loading the BFF once instead of per file is most of
      // the suite's time.
      isolate: false,
      typecheck: {
        enabled: true,
        include: ['src/**/*.test-d.ts', 'test/**/*.test-d.ts'],
        // Only the type tests and what they import: the whole package (with the BFF the test
        // harness runs) takes tsc four times as long, and `pnpm typecheck` covers it anyway.
        tsconfig: './tsconfig.typecheck.json',
      },
    },
  }),
)
