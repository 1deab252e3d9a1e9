import { defineConfig } from 'tsup'

export default defineConfig({
  // `ky` is its own entry, so the core bundle never imports ky (an optional peer); so are second
  // factors (`mfa`) and WebAuthn (`passkeys`, with @simplewebauthn/browser), which most apps skip.
  entry: ['src/index.ts', 'src/ky.ts', 'src/mfa.ts', 'src/passkeys.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'browser',
})
