import { defineConfig } from 'vitest/config'

// One run over every package; each project's own vitest.config.ts sets its environment.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts'],
  },
})
