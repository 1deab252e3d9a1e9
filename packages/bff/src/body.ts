/**
 * @module
 * `readJsonBody()`: a request body read with a byte cap, for the BFF's routes and any Hono API
 * next to it.
 */
import type { Context } from 'hono'
import { BffError } from './errors.js'

/** Options of {@link readJsonBody}. */
export interface ReadJsonBodyOptions {
  /** The largest body accepted, in bytes; past it `413 payload_too_large`. */
  maxBytes: number
}

/**
 * Reads the request body as JSON. A body over `maxBytes` is refused with `413 payload_too_large`
 * (at once when `Content-Length` says so, else as soon as the bytes arrive), text that is not
 * JSON, or a body that ends abnormally (the client aborted the upload), with `400
 * invalid_request`; an empty body gives `undefined`.
 *
 * Hono's `bodyLimit()` is not used because it re-wraps the request in the global `Request` class,
 * which throws (a 500) under `@hono/node-server` when the adapter has not replaced that class.
 *
 * @example
 * ```ts
 * api.post('/notes', async (c) => {
 *   const body = await readJsonBody(c, { maxBytes: 16 * 1024 })
 *   // validate body, then …
 * })
 * ```
 */
export async function readJsonBody(c: Context, options: ReadJsonBodyOptions): Promise<unknown> {
  const text = await readBodyText(c, options.maxBytes)
  if (text === undefined || text.trim() === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new BffError(400, 'invalid_request', 'The request body is not valid JSON.')
  }
}

/**
 * @internal The request body as text, `undefined` without one; past `maxBytes`, `413
 * payload_too_large` (at once when `Content-Length` says so, else as soon as the bytes arrive); a
 * body whose stream fails, `400 invalid_request`.
 */
export async function readBodyText(c: Context, maxBytes: number): Promise<string | undefined> {
  const tooLarge = () =>
    new BffError(413, 'payload_too_large', `The request body exceeds ${maxBytes} bytes.`)
  const declared = c.req.header('content-length')
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge()
  const body = c.req.raw.body
  if (!body) return undefined
  // Typed here: the DOM and Node typings of `Request.body` disagree on the chunk type.
  const reader: ReadableStreamDefaultReader<Uint8Array> = body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let size = 0
  // A stream that fails (the client aborted mid-upload, a truncated chunked body) never delivered
  // the request whole: the client's doing, not a server fault to answer 500 and log for.
  const read = () =>
    reader.read().catch((cause: unknown) => {
      throw new BffError(400, 'invalid_request', 'The request body could not be read.', { cause })
    })
  for (;;) {
    const { done, value } = await read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      void reader.cancel().catch(() => {})
      throw tooLarge()
    }
    text += decoder.decode(value, { stream: true })
  }
  return text + decoder.decode()
}
