/**
 * @module
 * Revocations and the revocation epoch reaching every instance's `requireAuth` through PostgreSQL
 * `LISTEN/NOTIFY`. A revocation is announced with `pg_notify` inside the transaction that writes
 * it, so an announcement can neither come before the write nor without it. One dedicated
 * connection listens (a pooled one would be handed to other queries); when it drops, it
 * reconnects (at least once a second) and replays from the table what it may have missed: the
 * sessions revoked since shortly before the drop, and the epoch in force. A connection that went
 * silent without a FIN or RST (a NAT or load balancer that forgot an idle flow) would look healthy
 * for hours to a connection that only listens: a heartbeat (`SELECT 1` every 30 s by default,
 * answered within the store's `timeout`) ends it, and the reconnection replays. A new subscriber,
 * of an instance just started or of one already listening, is told the sessions revoked within
 * the replay window, as the Redis store's are. Revoked rows stay until their deadline and at least
 * for the replay window (and 15 minutes) after their revocation (a token can outlive the idle
 * deadline), so the table itself is the replay log.
 * @internal
 */
import pg from 'pg'
import type { ClientConfig, Pool } from 'pg'
import { epochListeners, revocationListeners } from './listeners.js'
import type { PostgresNames } from './postgres-schema.js'
import type { EpochListener, RevocationListener } from './types.js'

/** What one notification carries: revoked session ids, or the epoch now in force. */
type Announcement = { revoked: string[] } | { epoch: number }

// NOTIFY payloads are capped at 8000 bytes; ids are ~43 characters, so 100 fit with room to spare.
const IDS_PER_NOTIFICATION = 100
// A notification sent just before the drop may be lost with it; replaying from a little earlier
// costs nothing (listeners are idempotent) and covers clock steps between the two machines.
const REPLAY_MARGIN_MS = 5_000

/** @internal How often the listening connection is checked, by default. */
export const DEFAULT_HEARTBEAT_MS = 30_000

/**
 * The TCP keep-alive delay of the listening connection: the kernel's default (two hours on Linux)
 * is longer than many NATs and load balancers keep an idle flow.
 */
const KEEP_ALIVE_MS = 30_000

/** @internal The `SELECT pg_notify(…)` calls announcing `announcement`, to run in the writer's transaction. */
export function announcements(announcement: Announcement): string[] {
  if ('epoch' in announcement) return [JSON.stringify(announcement)]
  const payloads: string[] = []
  for (let i = 0; i < announcement.revoked.length; i += IDS_PER_NOTIFICATION) {
    payloads.push(
      JSON.stringify({ revoked: announcement.revoked.slice(i, i + IDS_PER_NOTIFICATION) }),
    )
  }
  return payloads
}

function parse(payload: string | undefined): Announcement | null {
  try {
    const value: unknown = JSON.parse(payload ?? '')
    if (typeof value !== 'object' || value === null) return null
    const { revoked, epoch } = value as { revoked?: unknown; epoch?: unknown }
    if (Array.isArray(revoked) && revoked.every((id) => typeof id === 'string')) {
      return { revoked }
    }
    if (typeof epoch === 'number' && Number.isFinite(epoch)) return { epoch }
  } catch {
    // Not ours: another writer on the channel. Ignored rather than trusted.
  }
  return null
}

/** @internal The listening side of one store. */
export interface PostgresFeed {
  /** Delivers in this process at once (the notification follows for the other instances). */
  revoked(ids: readonly string[]): void
  epoch(epoch: number): void
  subscribe(listener: RevocationListener): () => void
  subscribeEpoch(listener: EpochListener): () => void
  close(): Promise<void>
}

/** @internal The timings of a {@link postgresFeed}. */
export interface PostgresFeedTimings {
  /** A new subscriber hears the ids revoked within this window (`0`: none). */
  replayMs: number
  /** How often the listening connection is checked (`0`: never). */
  heartbeatMs: number
  /** How long a check may take before the connection is given up. */
  heartbeatTimeoutMs: number
}

/**
 * @internal Starts listening on the first subscription. `connection` is what the store's pool
 * connects with; `pool` answers the replay queries.
 */
export function postgresFeed(
  connection: ClientConfig,
  pool: Pool,
  names: PostgresNames,
  now: () => number,
  { replayMs, heartbeatMs, heartbeatTimeoutMs }: PostgresFeedTimings,
): PostgresFeed {
  const revocations = revocationListeners()
  const epochs = epochListeners()
  /** Subscribed while not listening: told the replay window once the connection listens. */
  const unreplayed = new Set<RevocationListener>()
  let client: pg.Client | null = null
  let closed = false
  let starting: Promise<void> | null = null
  let retry: ReturnType<typeof setTimeout> | undefined
  /** When the connection was last known good: the replay starts a little before it. */
  let lastConnectedAt: number | null = null
  let stopHeartbeat = () => {}

  const deliver = (announcement: Announcement) => {
    if ('epoch' in announcement) epochs.notify(announcement.epoch)
    else revocations.notify(announcement.revoked)
  }

  const revokedSince = async (since: number) => {
    const { rows } = await pool.query<{ id: string }>(
      `SELECT id FROM ${names.sessions} WHERE revoked_at >= $1`,
      [since],
    )
    return rows.map((row) => row.id)
  }

  /** The window of a new subscriber: what an instance starting now must still refuse. */
  const replayWindow = async (to: readonly RevocationListener[]) => {
    if (replayMs === 0 || to.length === 0) return
    revocations.notify(await revokedSince(now() - replayMs), to)
  }

  /** After (re)connecting: the epoch, what every listener missed while away, the new ones' window. */
  const replay = async (since: number | null, fresh: readonly RevocationListener[]) => {
    const { rows } = await pool.query<{ value: number }>(
      `SELECT value FROM ${names.meta} WHERE key = 'revocation_epoch'`,
    )
    if (rows[0]) epochs.notify(rows[0].value)
    if (since !== null) revocations.notify(await revokedSince(since - REPLAY_MARGIN_MS))
    await replayWindow(fresh)
  }

  const connect = async () => {
    // Named, so an operator (or a test) can tell the listening connection from the pool's.
    const next = new pg.Client({
      keepAliveInitialDelayMillis: KEEP_ALIVE_MS,
      ...connection,
      keepAlive: true,
      application_name: 'baton-revocations',
    })
    next.on('notification', (message) => {
      if (message.channel !== names.channel) return
      const announcement = parse(message.payload)
      if (announcement) deliver(announcement)
    })
    next.on('error', () => {
      // 'end' follows and schedules the reconnection; an error is not worth a crash.
    })
    next.on('end', () => {
      if (client === next) {
        client = null
        stopHeartbeat()
      }
      if (!closed) schedule()
    })
    await next.connect()
    await next.query(`LISTEN "${names.channel}"`)
    if (closed) {
      await next.end()
      return
    }
    client = next
    let caughtUp = false
    stopHeartbeat = heartbeat(next, (sentAt) => {
      // Every notification sent before the check was on its way before the answer; a check
      // before the replay has succeeded must not move the replay's start past the drop.
      if (caughtUp) lastConnectedAt = sentAt
    })
    // Whoever subscribes from here on is replayed at once (the LISTEN is on); those before, here.
    const fresh = [...unreplayed]
    unreplayed.clear()
    const connectedAt = now()
    try {
      await replay(lastConnectedAt, fresh)
      lastConnectedAt = connectedAt
      caughtUp = true
    } catch {
      // Listened but could not replay: reconnect and replay again, from the same moment.
      for (const listener of fresh) unreplayed.add(listener)
      await next.end().catch(() => {})
    }
  }

  /**
   * Checks `listening` every `heartbeatMs`, one check at a time; a check unanswered within the
   * timeout ends the connection (its `end` reconnects and replays). `good` is told when each
   * answered check was sent. Returns what stops it.
   */
  function heartbeat(listening: pg.Client, good: (sentAt: number) => void): () => void {
    if (heartbeatMs <= 0) return () => {}
    let checking = false
    const check = async () => {
      if (checking) return
      checking = true
      const sentAt = now()
      let timer: ReturnType<typeof setTimeout> | undefined
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('heartbeat timed out')), heartbeatTimeoutMs)
      })
      try {
        await Promise.race([listening.query('SELECT 1'), timedOut])
        good(sentAt)
      } catch {
        // With the check still owed an answer, end() destroys the socket rather than wait for
        // a goodbye the silent peer would never acknowledge.
        await listening.end().catch(() => {})
      } finally {
        clearTimeout(timer)
        checking = false
      }
    }
    const interval = setInterval(() => void check(), heartbeatMs)
    // A store must never keep a process alive on its own.
    interval.unref()
    return () => clearInterval(interval)
  }

  const start = () => {
    starting ??= connect()
      .catch(() => schedule())
      .finally(() => {
        starting = null
      })
    return starting
  }

  function schedule() {
    if (closed || retry) return
    // Keep the replay window from the last good moment, not from now.
    lastConnectedAt ??= now()
    retry = setTimeout(() => {
      retry = undefined
      void start()
    }, 1_000)
    retry.unref()
  }

  const ensure = () => {
    if (!client && !starting && !retry && !closed) void start()
  }

  return {
    revoked: (ids) => revocations.notify(ids),
    epoch: (epoch) => epochs.notify(epoch),
    subscribe(listener) {
      const unsubscribe = revocations.subscribe(listener)
      if (client) replayWindow([listener]).catch(() => {})
      else unreplayed.add(listener)
      ensure()
      return () => {
        unreplayed.delete(listener)
        unsubscribe()
      }
    },
    subscribeEpoch(listener) {
      ensure()
      return epochs.subscribe(listener)
    },
    async close() {
      closed = true
      clearTimeout(retry)
      revocations.clear()
      epochs.clear()
      unreplayed.clear()
      await starting
      stopHeartbeat()
      const last = client
      client = null
      await last?.end().catch(() => {})
    },
  }
}
