/**
 * @module
 * `otelTracing()`: a span per request on the BFF's routes.
 */
import {
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api'
import type { Context, MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'
import { isBffError } from '../errors.js'
import { INSTRUMENTATION_SCOPE } from './metrics.js'

/** Options of {@link otelTracing}. */
export interface OtelTracingOptions {
  /**
   * The tracer spans are started on.
   * @default tracerProvider.getTracer('@baton/bff')
   */
  tracer?: Tracer
  /**
   * Where the tracer comes from when `tracer` is not given.
   * @default the global provider (`trace.getTracerProvider()`), a no-op until an SDK registers one
   */
  tracerProvider?: TracerProvider
}

/** The span attribute holding the `error.code` of an error response (`invalid_credentials`, …). */
export const ERROR_CODE_ATTRIBUTE = 'baton.error.code'

const ERROR_CODE = /^[a-z][a-z0-9_]{0,63}$/

/**
 * The `error.code` of an error response. A thrown `BffError` is on `c.error`; the routes that
 * answer an error themselves (a refresh ending the session, a cookie conflict, logout) only have
 * it in the body, which is read from a clone, so the client still gets all of it.
 */
async function errorCode(c: Context): Promise<string | undefined> {
  if (isBffError(c.error)) return c.error.code
  if (c.res.status < 400 || !c.res.headers.get('content-type')?.startsWith('application/json')) {
    return undefined
  }
  try {
    const body = (await c.res.clone().json()) as { error?: { code?: unknown } } | null
    const code = body?.error?.code
    return typeof code === 'string' && ERROR_CODE.test(code) ? code : undefined
  } catch {
    return undefined
  }
}

async function finish(span: Span, c: Context) {
  const status = c.res.status
  const route = routePath(c)
  span.setAttribute('http.route', route)
  span.setAttribute('http.response.status_code', status)
  span.updateName(`${c.req.method} ${route}`)
  const code = await errorCode(c)
  if (code !== undefined) span.setAttribute(ERROR_CODE_ATTRIBUTE, code)
  // OpenTelemetry's HTTP conventions: on a server span only a 5xx is an error; a 4xx (wrong
  // password, expired session) is the server doing its job, and is told by status and code.
  if (status >= 500) {
    span.setAttribute('error.type', code ?? String(status))
    span.setStatus({ code: SpanStatusCode.ERROR })
  }
}

/**
 * A Hono middleware that wraps each request in a span: `POST /auth/login`, with attributes
 * `http.request.method`, `http.route` (the route pattern, e.g. `/auth/sessions/:id`, never the
 * raw path), `http.response.status_code` and, on an error response, `baton.error.code` (the
 * body's stable `error.code`). A 5xx also sets `error.type` and the span status to ERROR. No
 * user id, session id or IP goes on the span. Inside a request that already has a span (the
 * host's `@hono/otel`, an HTTP instrumentation), Baton's span is its child (kind INTERNAL);
 * otherwise it is the SERVER span. Uses `@opentelemetry/api` only: without an SDK, it costs a
 * no-op span.
 *
 * Register it on the host app before mounting the BFF, on the paths to trace.
 *
 * @param options the tracer, or its provider
 * @returns a middleware for `app.use()`
 * @see https://opentelemetry.io/docs/specs/semconv/http/http-spans/
 *
 * @example
 * ```ts
 * import { otelTracing } from '@baton/bff/otel'
 *
 * const app = new Hono()
 * app.use('/auth/*', otelTracing())
 * app.route('/', createBff({ keys, authenticate }))
 * ```
 */
export function otelTracing(options: OtelTracingOptions = {}): MiddlewareHandler {
  const tracer =
    options.tracer ??
    (options.tracerProvider ?? trace.getTracerProvider()).getTracer(INSTRUMENTATION_SCOPE)

  return async function otelTracing(c, next) {
    const method = c.req.method
    const kind = trace.getActiveSpan() === undefined ? SpanKind.SERVER : SpanKind.INTERNAL
    // Named by method until routing is done; `finish` renames it after the matched route.
    return tracer.startActiveSpan(
      method,
      { kind, attributes: { 'http.request.method': method } },
      async (span) => {
        try {
          await next()
          await finish(span, c)
        } catch (error) {
          // Hono turns handler errors into responses before they get here; this is the rest.
          span.recordException(error instanceof Error ? error : String(error))
          span.setStatus({ code: SpanStatusCode.ERROR })
          throw error
        } finally {
          span.end()
        }
      },
    )
  }
}
