/**
 * @module
 * The security console's event stream. `EventSource` cannot send an `Authorization` header, and
 * the access token must never travel in a URL (logs, Referer), so the stream is read with the
 * session client's `fetch` (bearer token, coordinated refresh) and parsed here.
 */

/** One server-sent event: its `event` name, its `data` and its `id`, if any. */
export interface SseMessage {
  event: string
  data: string
  id?: string
}

/**
 * Splits a text stream into SSE messages (the WHATWG "event stream" format: `field: value`
 * lines, a blank line ends a message, `:` lines are comments). Feed it chunks as they arrive; it
 * returns the messages they complete.
 *
 * @example
 * ```ts
 * const parse = sseParser()
 * parse('event: audit\ndata: {"type"') // []
 * parse(':"login"}\n\n') // [{ event: 'audit', data: '{"type":"login"}' }]
 * ```
 */
export function sseParser(): (chunk: string) => SseMessage[] {
  let buffer = ''
  return (chunk) => {
    buffer += chunk.replace(/\r\n?/g, '\n')
    const messages: SseMessage[] = []
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const message: SseMessage = { event: 'message', data: '' }
      const data: string[] = []
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = colon < 0 ? line : line.slice(0, colon)
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'event') message.event = value
        else if (field === 'data') data.push(value)
        else if (field === 'id') message.id = value
      }
      message.data = data.join('\n')
      if (data.length > 0 || message.event !== 'message') messages.push(message)
    }
    return messages
  }
}

/** How a stream ended: the server said why (`end` message), or the connection failed. */
export type StreamOutcome =
  | { kind: 'ended'; reason: string }
  | { kind: 'closed' }
  | { kind: 'refused'; status: number; code: string | null }

/**
 * Reads one connection of the stream at `url` to its end, handing each message to `onMessage`.
 * Resolves with how it ended; rejects only on a network error or an abort.
 */
export async function readEventStream(
  fetch: (input: string, init?: RequestInit) => Promise<Response>,
  url: string,
  onMessage: (message: SseMessage) => void,
  signal: AbortSignal,
): Promise<StreamOutcome> {
  const response = await fetch(url, { headers: { accept: 'text/event-stream' }, signal })
  if (!response.ok || !response.body) {
    const body = (await response.json().catch(() => null)) as { error?: { code?: string } } | null
    return { kind: 'refused', status: response.status, code: body?.error?.code ?? null }
  }
  const parse = sseParser()
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return { kind: 'closed' }
      for (const message of parse(value)) {
        if (message.event === 'end') return { kind: 'ended', reason: message.data }
        onMessage(message)
      }
    }
  } finally {
    reader.cancel().catch(() => {})
  }
}

/** Wait before reconnecting after a dropped connection. */
export const RECONNECT_MS = 2_000

/** A stream that ends `expired` sooner than this after it opened waits as long to reconnect. */
export const MIN_STREAM_MS = 1_000

/**
 * How long to wait before the next connection, after one that lasted `lastedMs` and ended with
 * `outcome` (`null`: a network error). A stream that ended `expired` asks for a fresh token and
 * reconnects at once, unless it ended right after it opened: a server whose expiry fires early
 * (a token lifetime past setTimeout's limit once made it fire after 1 ms) would otherwise be
 * reconnected to in a tight loop.
 */
export function reconnectDelay(outcome: StreamOutcome | null, lastedMs: number): number {
  if (outcome?.kind !== 'ended' || outcome.reason !== 'expired') return RECONNECT_MS
  return lastedMs < MIN_STREAM_MS ? MIN_STREAM_MS : 0
}
