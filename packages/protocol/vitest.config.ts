import { defineProject, mergeConfig } from 'vitest/config'
import { sourceConditions } from '../../vitest.shared'

export default mergeConfig(
  sourceConditions,
  defineProject({
    test: {
      name: 'protocol',
      environment: 'node',
      include: ['src/**/*.test.ts'],
      typecheck: { enabled: true, include: ['src/**/*.test-d.ts'] },
    },
  }),
)
