/**
 * The React tests' user type, declared once as an app declares its own: every hook, and the
 * clients `test/browser.ts` creates, are typed with it. It lives in a file of the package's
 * program (tsconfig `include`), so `tsc` and `vitest --typecheck` both see it.
 */
/**
 * The users of the test BFF (`test/bff.ts`): a plain `interface`, with no index signature, as an
 * app writes it (issue 19: it used to fail with TS2344).
 */
export interface TestUser {
  id: string
  name: string
}

declare module '@baton/react' {
  interface Register {
    user: TestUser
  }
}
