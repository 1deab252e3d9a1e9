import { AsyncLocalStorage } from 'node:async_hooks'
import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context as OtelContext,
  type ContextManager,
  type Meter,
} from '@opentelemetry/api'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base'
import { Hono } from 'hono'
import { afterEach, describe, expect, it } from 'vitest'
import type { BffEvent } from '../src/index.js'
import { DEFAULT_METRIC_ATTRIBUTES, otelEvents, otelTracing } from '../src/otel/index.js'
import { ALICE, client, createHarness, CSRF, MINUTE, ORIGIN } from './helpers.js'

const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0'
const IP = '203.0.113.7'

/** A meter provider whose counters are read on demand, cumulatively. */
function metricsHarness() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  // The interval never fires in a test; `collect()` flushes by hand.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const meterProvider = new MeterProvider({ readers: [reader] })

  /** Every counter's data points, by instrument name, as `{ attributes, value }`. */
  const collect = async () => {
    await reader.forceFlush()
    const last = exporter.getMetrics().at(-1)
    const counters: Record<string, { attributes: Record<string, unknown>; value: unknown }[]> = {}
    for (const scope of last?.scopeMetrics ?? []) {
      expect(scope.scope.name).toBe('@baton/bff')
      for (const metric of scope.metrics) {
        expect(metric.descriptor.unit).toBe('{event}')
        counters[metric.descriptor.name] = metric.dataPoints.map((point) => ({
          attributes: point.attributes,
          value: point.value,
        }))
      }
    }
    return counters
  }
  return { meterProvider, collect, shutdown: () => meterProvider.shutdown() }
}

const providers: { shutdown(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(providers.splice(0).map((provider) => provider.shutdown()))
  context.disable()
})

describe('otelEvents', () => {
  async function setup() {
    const otel = metricsHarness()
    providers.push(otel)
    const count = otelEvents({ meterProvider: otel.meterProvider })
    const events: BffEvent[] = []
    const harness = await createHarness({
      // Composed with the application's own handler, as the README shows.
      onEvent(event) {
        events.push(event)
        count(event)
      },
    })
    return { ...harness, events, count, collect: otel.collect }
  }

  it('Should count each event type on its own counter, with low-cardinality attributes', async () => {
    const { login, post, refreshOk, refresh, logout, collect, clock, events } = await setup()
    const first = await login('alice', { ip: '203.0.113.7' })
    const wrong = (ip: string) =>
      post('/login', {
        ip,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: 'nope' }),
      })
    expect((await wrong('203.0.113.8')).status).toBe(401)
    expect((await wrong('203.0.113.9')).status).toBe(401)
    const second = await refreshOk(first.cookie)
    // The old token again within the grace window: a duplicate refresh.
    await refreshOk(first.cookie)
    clock.advance(60_000)
    // And after it: reuse, which revokes the session.
    expect((await refresh(first.cookie)).status).toBe(401)
    expect((await refresh(second.cookie)).status).toBe(401)
    const bob = await login('bob')
    expect((await logout(bob.cookie, { everywhere: true })).status).toBe(204)
    // A cross-site form post.
    expect((await post('/logout', { headers: { 'x-csrf': '' } })).status).toBe(403)

    expect(events.map((event) => event.type)).toStrictEqual([
      'login',
      'login_failed',
      'login_failed',
      'refresh',
      'refresh',
      'reuse_detected',
      'revoked',
      'login',
      'logout',
      'csrf_failed',
    ])
    expect(await collect()).toStrictEqual({
      'baton.bff.login': [{ attributes: {}, value: 2 }],
      'baton.bff.login_failed': [{ attributes: {}, value: 2 }],
      'baton.bff.refresh': [
        { attributes: { duplicate: false }, value: 1 },
        { attributes: { duplicate: true }, value: 1 },
      ],
      'baton.bff.reuse_detected': [{ attributes: {}, value: 1 }],
      'baton.bff.revoked': [{ attributes: { reason: 'reuse_detected' }, value: 1 }],
      'baton.bff.logout': [{ attributes: { everywhere: true }, value: 1 }],
      'baton.bff.csrf_failed': [
        { attributes: { route: 'logout', reason: 'header_missing' }, value: 1 },
      ],
    })
  })

  it('Should never record user ids, session ids, usernames, IPs, user agents or origins', async () => {
    const { login, post, collect, events } = await setup()
    const { body } = await login('alice', {
      ip: '198.51.100.23',
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64)' },
    })
    await post('/login', {
      ip: '198.51.100.24',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ username: 'mallory', password: 'x' }),
    })
    expect(events.map((event) => event.type)).toStrictEqual(['login', 'csrf_failed'])
    const counters = await collect()
    const recorded = JSON.stringify(counters)
    for (const secret of [
      ALICE.id,
      body.sessionId,
      'alice',
      'mallory',
      '198.51.100.23',
      '198.51.100.24',
      'Mozilla',
      'evil.example',
    ]) {
      expect(recorded).not.toContain(secret)
    }
    expect(counters['baton.bff.csrf_failed']).toStrictEqual([
      { attributes: { route: 'login', reason: 'origin_not_allowed' }, value: 1 },
    ])
  })

  it('Should count event types it has never heard of, and keep free text out', async () => {
    const otel = metricsHarness()
    providers.push(otel)
    const count = otelEvents({ meterProvider: otel.meterProvider })
    // An event added to the BFF after this adapter was written: counted with no change here.
    const future = {
      type: 'quota_exceeded',
      at: 0,
      ip: '192.0.2.1',
      userAgent: null,
      userId: 'u-1',
      action: 'refuse',
      scope: ['uploads', 'api', 'uploads'],
      reason: 'Free text, with spaces: never an attribute',
    } as unknown as BffEvent
    count(future)
    count({ ...future, scope: ['api', 'uploads'] } as unknown as BffEvent)
    expect(await otel.collect()).toStrictEqual({
      'baton.bff.quota_exceeded': [
        { attributes: { action: 'refuse', scope: ['api', 'uploads'] }, value: 2 },
      ],
    })
  })

  it('Should record the signals of an anomaly_detected event by their types', async () => {
    const otel = metricsHarness()
    providers.push(otel)
    const count = otelEvents({ meterProvider: otel.meterProvider })
    const base = {
      type: 'anomaly_detected',
      phase: 'refresh',
      at: 0,
      ip: '192.0.2.1',
      userAgent: null,
      userId: 'u-1',
      sessionId: 's-1',
      action: 'revoke',
    } as const
    const anomaly: BffEvent = {
      ...base,
      signals: [
        { type: 'user_agent_changed', from: 'Chrome on Windows', to: null, action: 'revoke' },
        { type: 'ip_changed', from: '192.0.2.0/24', to: '198.51.100.0/24', action: 'log' },
        // An application's own rule counts as `custom`: its names are the application's to
        // choose, and each would be a new series; the event keeps them for the log.
        { type: 'custom', name: 'impossible_travel', detail: 'Paris, then Tokyo', action: 'log' },
        { type: 'custom', name: 'tor exit', action: 'log' },
      ],
    }
    count(anomaly)
    count({
      ...base,
      signals: [
        { type: 'ip_changed', from: '192.0.2.0/24', to: '203.0.113.0/24', action: 'log' },
        { type: 'custom', name: 'asn_hosting', action: 'log' },
        { type: 'user_agent_changed', from: null, to: 'curl', action: 'revoke' },
      ],
    })
    expect(await otel.collect()).toStrictEqual({
      'baton.bff.anomaly_detected': [
        {
          attributes: { action: 'revoke', signals: ['custom', 'ip_changed', 'user_agent_changed'] },
          value: 2,
        },
      ],
    })
  })

  it('Should record the signals of a real anomaly_detected event', async () => {
    const { login, refresh, clock, collect } = await setup()
    const session = await login('alice', { headers: { 'user-agent': CHROME_WINDOWS }, ip: IP })
    clock.advance(MINUTE)
    const res = await refresh(session.cookie, { headers: { 'user-agent': FIREFOX_LINUX }, ip: IP })
    expect(res.status).toBe(401)
    expect((await collect())['baton.bff.anomaly_detected']).toStrictEqual([
      { attributes: { action: 'revoke', signals: ['user_agent_changed'] }, value: 1 },
    ])
  })

  it('Should record only the attributes it is told to, under the prefix it is given', async () => {
    const otel = metricsHarness()
    providers.push(otel)
    const count = otelEvents({
      meter: otel.meterProvider.getMeter('@baton/bff'),
      attributes: ['reason'],
      prefix: 'shop.auth',
    })
    const revoked = {
      type: 'revoked',
      reason: 'revoked',
      at: 0,
      ip: null,
      userAgent: null,
      userId: 'u-1',
      sessionId: 's-1',
    } satisfies BffEvent
    count(revoked)
    const { reason: _reason, ...session } = revoked
    count({ ...session, type: 'refresh', generation: 1, duplicate: true })
    expect(await otel.collect()).toStrictEqual({
      'shop.auth.revoked': [{ attributes: { reason: 'revoked' }, value: 1 }],
      'shop.auth.refresh': [{ attributes: {}, value: 1 }],
    })
    expect(DEFAULT_METRIC_ATTRIBUTES).toContain('duplicate')
  })

  it('Should never throw, even when the meter does', () => {
    const broken = {
      createCounter() {
        throw new Error('meter broken')
      },
    } as unknown as Meter
    const count = otelEvents({ meter: broken })
    expect(() =>
      count({ type: 'login', at: 0, ip: null, userAgent: null, userId: 'u', sessionId: 's' }),
    ).not.toThrow()
  })

  it('Should refuse a prefix that cannot name an instrument, at once', () => {
    expect(() => otelEvents({ prefix: '9 lives' })).toThrow(
      new TypeError('otelEvents: prefix "9 lives" does not make valid instrument names'),
    )
    expect(() => otelEvents({ attributes: 'reason' as unknown as string[] })).toThrow(
      new TypeError('otelEvents: attributes must be an array of field names'),
    )
  })
})

describe('otelTracing', () => {
  async function setup(options: Parameters<typeof createHarness>[0] = {}) {
    const exporter = new InMemorySpanExporter()
    const tracerProvider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    })
    providers.push(tracerProvider)
    const harness = await createHarness(options)
    const app = new Hono()
    app.use('/auth/*', otelTracing({ tracerProvider }))
    app.route('/', harness.bff)
    const spans = () =>
      exporter.getFinishedSpans().map((span: ReadableSpan) => ({
        name: span.name,
        kind: span.kind,
        status: span.status.code,
        attributes: span.attributes,
      }))
    return { ...harness, app, exporter, spans, tracerProvider, ...client(app) }
  }

  it('Should put one span on each auth request, named after its route', async () => {
    const { login, refreshOk, listSessions, deleteSession, spans } = await setup()
    const { body, cookie } = await login('alice', { ip: '203.0.113.7' })
    await refreshOk(cookie)
    expect((await listSessions(body.accessToken)).status).toBe(200)
    expect((await deleteSession(body.accessToken, 'AAAAAAAAAAAAAAAAAAAAAA')).status).toBe(404)

    const ok = (method: string, route: string, status: number) => ({
      name: `${method} ${route}`,
      kind: SpanKind.SERVER,
      status: SpanStatusCode.UNSET,
      attributes: {
        'http.request.method': method,
        'http.route': route,
        'http.response.status_code': status,
      },
    })
    expect(spans()).toStrictEqual([
      ok('POST', '/auth/login', 200),
      ok('POST', '/auth/refresh', 200),
      ok('GET', '/auth/sessions', 200),
      {
        ...ok('DELETE', '/auth/sessions/:id', 404),
        attributes: {
          ...ok('DELETE', '/auth/sessions/:id', 404).attributes,
          'baton.error.code': 'not_found',
        },
      },
    ])
    const recorded = JSON.stringify(spans())
    for (const secret of [ALICE.id, body.sessionId, '203.0.113.7', 'AAAAAAAAAAAAAAAAAAAAAA']) {
      expect(recorded).not.toContain(secret)
    }
  })

  it('Should record the error code of thrown and of returned error responses', async () => {
    const { post, refresh, spans } = await setup()
    // Thrown: a BffError on c.error.
    const wrong = await post('/login', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'nope' }),
    })
    // Returned: refresh answers a 401 itself, clearing the cookies.
    const noCookie = await refresh()
    // And the client still reads the whole body the span looked into.
    expect(await wrong.json()).toStrictEqual({
      error: { code: 'invalid_credentials', message: 'The username or password is incorrect.' },
    })
    expect(((await noCookie.json()) as { error: { code: string } }).error.code).toBe('no_session')

    expect(spans().map((span) => [span.name, span.status, span.attributes])).toStrictEqual([
      [
        'POST /auth/login',
        SpanStatusCode.UNSET,
        {
          'http.request.method': 'POST',
          'http.route': '/auth/login',
          'http.response.status_code': 401,
          'baton.error.code': 'invalid_credentials',
        },
      ],
      [
        'POST /auth/refresh',
        SpanStatusCode.UNSET,
        {
          'http.request.method': 'POST',
          'http.route': '/auth/refresh',
          'http.response.status_code': 401,
          'baton.error.code': 'no_session',
        },
      ],
    ])
  })

  it('Should mark a 5xx as an error with error.type', async () => {
    const { post, spans } = await setup({
      authenticate: () => Promise.reject(new Error('directory down')),
    })
    const res = await post('/login', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'x' }),
    })
    expect(res.status).toBe(500)
    expect(spans()).toStrictEqual([
      {
        name: 'POST /auth/login',
        kind: SpanKind.SERVER,
        status: SpanStatusCode.ERROR,
        attributes: {
          'http.request.method': 'POST',
          'http.route': '/auth/login',
          'http.response.status_code': 500,
          'baton.error.code': 'internal',
          'error.type': 'internal',
        },
      },
    ])
  })

  it('Should be a child (kind INTERNAL) of the span the request already has', async () => {
    // What @opentelemetry/context-async-hooks does, in a few lines: the active context follows
    // the request through its awaits.
    const storage = new AsyncLocalStorage<OtelContext>()
    const manager: ContextManager = {
      active: () => storage.getStore() ?? ROOT_CONTEXT,
      with: (ctx, fn, thisArg, ...args) => storage.run(ctx, () => fn.call(thisArg, ...args)),
      bind: (_ctx, target) => target,
      enable() {
        return this
      },
      disable() {
        storage.disable()
        return this
      },
    }
    context.setGlobalContextManager(manager)
    const { tracerProvider, exporter, bff } = await setup()
    const host = new Hono()
    const outer = tracerProvider.getTracer('host')
    host.use('*', (c, next) =>
      outer.startActiveSpan('host', (span) => next().finally(() => span.end())),
    )
    host.use('/auth/*', otelTracing({ tracerProvider }))
    host.route('/', bff)

    const res = await host.request(new URL('/auth/refresh', ORIGIN), {
      method: 'POST',
      headers: CSRF,
    })
    expect(res.status).toBe(401)
    const [inner, parent] = exporter.getFinishedSpans()
    expect([inner?.name, inner?.kind, parent?.name]).toStrictEqual([
      'POST /auth/refresh',
      SpanKind.INTERNAL,
      'host',
    ])
    expect(inner?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId)
    expect(trace.getActiveSpan()).toBeUndefined()
  })
})
