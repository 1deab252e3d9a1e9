import { defineProject, mergeConfig } from 'vitest/config'
import { sourceConditions } from '../../vitest.shared'

export default mergeConfig(
  sourceConditions,
  defineProject({
    test: {
      name: 'demo',
      environment: 'node',
      include: ['server/**/*.test.ts', 'src/**/*.test.{ts,tsx}', 'test/**/*.test.ts'],
      testTimeout: 30_000,
    },
  }),
)
