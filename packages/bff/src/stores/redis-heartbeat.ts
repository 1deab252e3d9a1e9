/**
 * @module
 * The heartbeat of the Redis store's subscriber connection. A subscriber only ever reads, so a
 * connection that went silent without a FIN or RST (a NAT or load balancer that forgot an idle
 * flow) looks healthy to it for as long as the kernel's keep-alive takes to give up, hours by
 * default: every revocation published meanwhile is lost to this instance. A PING (allowed in
 * subscribe mode) unanswered within the timeout drops the connection, and the reconnection replays
 * what was missed.
 * @internal
 */
import type { Redis } from 'ioredis'

/** @internal How often the subscriber connection is pinged, by default. */
export const DEFAULT_HEARTBEAT_MS = 30_000

/**
 * @internal The TCP keep-alive delay of the connections the store makes: the kernel's default (two
 * hours on Linux) is longer than many NATs and load balancers keep an idle flow.
 */
export const KEEP_ALIVE_MS = 30_000

/** @internal */
export interface HeartbeatOptions {
  /** The connection to ping now (on a cluster, the node connection the subscription is on). */
  target: () => Redis | null
  intervalMs: number
  timeoutMs: number
}

/** @internal Starts pinging; returns what stops it. */
export function heartbeat({ target, intervalMs, timeoutMs }: HeartbeatOptions): () => void {
  if (intervalMs <= 0) return () => {}
  // One ping at a time: a connection still owing the last reply is being judged already. A ping
  // may never settle (resent after the reconnection, or lost with it), so the timeout ends it too.
  let pending: object | null = null
  const beat = () => {
    const connection = target()
    if (!connection || connection.status !== 'ready' || pending) return
    const ping = {}
    pending = ping
    const timer = setTimeout(() => {
      if (pending === ping) pending = null
      // Reconnects a single Redis or a Sentinel primary; a cluster's subscriber connection has no
      // retry strategy, so it ends, and ioredis picks a new one (which the feed follows).
      connection.disconnect(true)
    }, timeoutMs)
    const settle = () => {
      clearTimeout(timer)
      if (pending === ping) pending = null
    }
    // A failed ping is a connection that closed already: ioredis handles that on its own.
    connection.ping().then(settle, settle)
  }
  const interval = setInterval(beat, intervalMs)
  // A store must never keep a process alive on its own.
  interval.unref()
  return () => {
    clearInterval(interval)
    pending = null
  }
}
