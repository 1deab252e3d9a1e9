import { defineProject, mergeConfig } from 'vitest/config'
import { sourceConditions } from '../../vitest.shared'

export default mergeConfig(
  sourceConditions,
  defineProject({
    test: {
      name: 'client',
      environment: 'node',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 30_000,
    },
  }),
)
