/**
 * @module
 * Who is asking, as sessions and events record it.
 * @internal
 */
import type { Context } from 'hono'
import type { BffConfig } from './options.js'

/** Who is asking: recorded on sessions and events. */
export interface RequestMeta {
  ip: string | null
  userAgent: string | null
}

/** @internal Who is asking, read once per request; the user agent is capped so it cannot bloat the store. */
export const requestMeta = (config: Pick<BffConfig, 'clientIp'>, c: Context): RequestMeta => ({
  ip: config.clientIp(c),
  userAgent: c.req.header('user-agent')?.slice(0, 512) ?? null,
})
