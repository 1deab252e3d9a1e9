/**
 * @module
 * `@baton/bff/otel`: OpenTelemetry for the BFF, through `@opentelemetry/api` only (an optional
 * peer dependency). {@link otelEvents} counts the audit events; {@link otelTracing} puts a span
 * on every auth request. Bring your own SDK (`@opentelemetry/sdk-node`, or the metrics and trace
 * SDKs) and exporter: without one, both are no-ops.
 */
export { DEFAULT_METRIC_ATTRIBUTES, INSTRUMENTATION_SCOPE, otelEvents } from './metrics.js'
export type { OtelEventHandler, OtelEventsOptions } from './metrics.js'
export { ERROR_CODE_ATTRIBUTE, otelTracing } from './tracing.js'
export type { OtelTracingOptions } from './tracing.js'
