import { defaultClientConditions, defaultServerConditions } from 'vite'

/**
 * Resolve workspace packages to their TypeScript sources (the `@baton/source` export condition),
 * so tests never need a build first.
 */
export const sourceConditions = {
  resolve: { conditions: ['@baton/source', ...defaultClientConditions] },
  ssr: { resolve: { conditions: ['@baton/source', ...defaultServerConditions] } },
}
