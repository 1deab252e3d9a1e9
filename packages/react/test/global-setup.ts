import type { TestProject } from 'vitest/node'
import { startTestBff } from './bff'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Origin of the BFF the React tests talk to. */
    bffOrigin: string
  }
}

export async function setup(project: TestProject) {
  const bff = await startTestBff()
  project.provide('bffOrigin', bff.origin)
  return () => bff.close()
}
