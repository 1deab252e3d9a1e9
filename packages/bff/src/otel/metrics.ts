/**
 * @module
 * `otelEvents()`: the BFF's audit events as OpenTelemetry counters.
 */
import {
  metrics,
  type Attributes,
  type Counter,
  type Meter,
  type MeterProvider,
} from '@opentelemetry/api'
import type { BffEvent } from '../events.js'

/** The instrumentation scope Baton's meter and tracer are created under. */
export const INSTRUMENTATION_SCOPE = '@baton/bff'

/**
 * The event fields that become metric attributes by default: each names a small, fixed set of
 * values (a reason, a route, an action), so a counter keeps a handful of series. Fields that name
 * a person, a session or a client (`userId`, `sessionId`, `username`, `ip`, `userAgent`, `origin`)
 * are never attributes: every value would be a new time series, and metrics are no place for
 * personal data. Events carry them for the log.
 */
export const DEFAULT_METRIC_ATTRIBUTES = [
  'outcome',
  'reason',
  'action',
  'route',
  'scope',
  'policy',
  'signals',
  'duplicate',
  'everywhere',
] as const

/**
 * A value that can be an attribute: an identifier-like word of at most 64 characters (a reason,
 * a route, `session_limit`), never free text. A field that is on the allowlist but holds
 * something else for some event is left out rather than multiplying series.
 */
const ATTRIBUTE_WORD = /^[A-Za-z0-9_.:-]{1,64}$/

/** At most this many distinct words in an array attribute (`signals`); more are left out. */
const MAX_ARRAY_LENGTH = 8

/** Options of {@link otelEvents}. */
export interface OtelEventsOptions {
  /**
   * The meter the counters are created on.
   * @default meterProvider.getMeter('@baton/bff')
   */
  meter?: Meter
  /**
   * Where the meter comes from when `meter` is not given.
   * @default the global provider (`metrics.getMeterProvider()`), a no-op until an SDK registers one
   */
  meterProvider?: MeterProvider
  /**
   * Event fields recorded as attributes, replacing {@link DEFAULT_METRIC_ATTRIBUTES}. Only
   * booleans and identifier-like strings (or short arrays of them, where an object such as an
   * anomaly signal counts as its `type`) are recorded, whatever the list says; name
   * low-cardinality fields only.
   * @default DEFAULT_METRIC_ATTRIBUTES
   */
  attributes?: readonly string[]
  /**
   * Prefix of the counter names: an event of type `login` counts on `{prefix}.login`.
   * @default 'baton.bff'
   */
  prefix?: string
}

/** What `otelEvents()` returns: an `onEvent` handler. */
export type OtelEventHandler = (event: BffEvent) => void

const INSTRUMENT_NAME = /^[A-Za-z][A-Za-z0-9_.\-/]{0,254}$/

/**
 * An array item as a word: a string as it is, an object by its `type` (an `AnomalySignal`). Only
 * the `type`: a `custom` signal's `name` is the application's to choose, with no bound on how many
 * there are, and its other fields (`from`, `to`, `detail`) name a client or are free text.
 */
function itemWord(item: unknown): unknown {
  if (typeof item === 'object' && item !== null && !Array.isArray(item) && 'type' in item) {
    return item.type
  }
  return item
}

function attributeValue(value: unknown): string | boolean | string[] | undefined {
  if (typeof value === 'boolean') return value
  if (typeof value === 'string') return ATTRIBUTE_WORD.test(value) ? value : undefined
  if (Array.isArray(value)) {
    const words = value.map(itemWord)
    if (
      words.every((word): word is string => typeof word === 'string' && ATTRIBUTE_WORD.test(word))
    ) {
      // Deduplicated before the cap, so that many custom signals at once (all `custom`) still
      // count; sorted, so the same set of signals is one series whatever order they were found in.
      const distinct = [...new Set(words)].sort()
      if (distinct.length <= MAX_ARRAY_LENGTH) return distinct
    }
  }
  return undefined
}

/**
 * Records every audit event on an OpenTelemetry counter: one counter per event type, named
 * `baton.bff.<type>` (unit `{event}`), created the first time that type is seen, so event types
 * added to the BFF later are counted with no change here. Each count carries the event's
 * low-cardinality fields as attributes (`reason`, `route`, `action`, … see
 * {@link DEFAULT_METRIC_ATTRIBUTES}); user ids, session ids, usernames, IPs and user agents never
 * are. Uses `@opentelemetry/api` only: without an SDK registered, counting is a no-op.
 *
 * The handler never throws. Compose it with the application's own `onEvent`.
 *
 * @param options the meter (or its provider), the attribute allowlist, the name prefix
 * @returns an `onEvent` handler for `createBff`
 * @see https://opentelemetry.io/docs/specs/otel/metrics/api/#counter
 *
 * @example
 * ```ts
 * import { createBff } from '@baton/bff'
 * import { otelEvents } from '@baton/bff/otel'
 *
 * const countEvent = otelEvents()
 * const bff = createBff({
 *   authenticate,
 *   onEvent(event) {
 *     countEvent(event) // baton.bff.login, baton.bff.reuse_detected{}, …
 *     auditLog.write(event)
 *   },
 * })
 * ```
 */
export function otelEvents(options: OtelEventsOptions = {}): OtelEventHandler {
  const prefix = options.prefix ?? 'baton.bff'
  if (!INSTRUMENT_NAME.test(`${prefix}.x`)) {
    throw new TypeError(`otelEvents: prefix "${prefix}" does not make valid instrument names`)
  }
  const keys = options.attributes ?? DEFAULT_METRIC_ATTRIBUTES
  if (!Array.isArray(keys) || !keys.every((key) => typeof key === 'string')) {
    throw new TypeError('otelEvents: attributes must be an array of field names')
  }
  const meter =
    options.meter ??
    (options.meterProvider ?? metrics.getMeterProvider()).getMeter(INSTRUMENTATION_SCOPE)
  const counters = new Map<string, Counter | null>()

  const counterFor = (type: string): Counter | null => {
    let counter = counters.get(type)
    if (counter === undefined) {
      const name = `${prefix}.${type}`
      // A type that cannot name an instrument is skipped once, not retried on every event.
      counter = INSTRUMENT_NAME.test(name)
        ? meter.createCounter(name, {
            description: `Baton BFF audit events of type "${type}".`,
            unit: '{event}',
          })
        : null
      counters.set(type, counter)
    }
    return counter
  }

  return function otelEvent(event) {
    try {
      const counter = counterFor(event.type)
      if (counter === null) return
      const fields = event as unknown as Readonly<Record<string, unknown>>
      const attributes: Attributes = {}
      for (const key of keys) {
        const value = attributeValue(fields[key])
        if (value !== undefined) attributes[key] = value
      }
      counter.add(1, attributes)
    } catch {
      // Metrics must never break a login: a misbehaving SDK loses one count, nothing else.
    }
  }
}
