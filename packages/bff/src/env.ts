/**
 * @module
 * The BFF's Hono environment: what `requireAuth()` puts on `c.var`. Baton keeps its variables in
 * its own `Env` rather than augmenting Hono's global `ContextVariableMap`, so a BFF mounted inside
 * another app never changes that app's types.
 */
import type { AccessTokenClaims } from './tokens/access.js'

/** What `requireAuth()` puts on `c.var`. */
export interface RequireAuthVariables {
  /** The access token's `sub`. */
  userId: string
  /** The access token's `sid`. */
  sessionId: string
  /** Every verified claim. */
  claims: AccessTokenClaims
  /**
   * Epoch ms of the user's last proof of credentials (the token's `auth_time`, a whole second), or
   * `null` for a token that does not say (minted before step-up existed).
   */
  authTime: number | null
  /** How the user proved it (the token's `amr`, e.g. `['pwd']`); empty when it does not say. */
  amr: readonly string[]
  /** The token's `acr`, or `null`. */
  acr: string | null
}

/** The BFF app's Hono environment. Baton keeps its variables in its own `Env`. */
export interface BffEnv {
  Variables: RequireAuthVariables
}
