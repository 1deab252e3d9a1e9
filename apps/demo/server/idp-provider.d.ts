/**
 * The few parts of `oidc-provider` 8 (which ships no types) the demo's identity provider uses.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  interface OidcContext {
    host: string
    body: string
    type: string
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
  }

  /** The Koa context of the provider's own middleware (`provider.use`). */
  interface ProviderMiddlewareContext {
    response: { is(type: string): string | false; get(field: string): string }
    set(field: string, value: string): void
  }

  interface InteractionDetails {
    uid: string
    prompt: { name: string }
    params: Record<string, unknown>
  }

  class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>)
    readonly issuer: string
    readonly Grant: typeof Grant
    callback(): (req: IncomingMessage, res: ServerResponse) => void
    use(
      middleware: (ctx: ProviderMiddlewareContext, next: () => Promise<void>) => Promise<void>,
    ): void
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>
  }

  export type { OidcContext }
  // eslint-disable-next-line no-restricted-syntax -- the module's real shape: a default export
  export default Provider
}
