/**
 * The few parts of `oidc-provider` 8 (which ships no types) the OpenID Connect tests use.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  interface OidcContext {
    oidc: {
      client?: { clientId: string }
      session?: { accountId?: string }
      params?: Record<string, unknown>
      provider: Provider
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- declared for `typeof Grant`
  class Grant {
    constructor(properties: { clientId: string; accountId: string })
    addOIDCScope(scope: string): void
    save(): Promise<string>
    static find(id: string): Promise<Grant | undefined>
  }

  class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>)
    readonly issuer: string
    readonly Grant: typeof Grant
    proxy: boolean
    callback(): (req: IncomingMessage, res: ServerResponse) => void
    on(event: string, listener: (...args: unknown[]) => void): this
  }

  export type { OidcContext }
  // eslint-disable-next-line no-restricted-syntax -- the module's real shape: a default export
  export default Provider
}
