/**
 * @module
 * What the BFF hands its logger. An error keeps its name, message, stack, the causes that are
 * errors themselves and the few properties that say why a connection failed (Node's `code`,
 * `errno`, `syscall`, `address`, `port`, an `AggregateError`'s `errors`); not the other properties
 * a library hangs on it, which can hold secrets: ioredis attaches the failed command's arguments
 * (`command.args`: the session or the sealed value being written), openid-client an authorization
 * error's query as its `cause` (`state`).
 * @internal
 */

/** Primitive properties an operator needs to tell a refused connection from a timeout or a DNS miss. */
const DIAGNOSTICS = ['code', 'errno', 'syscall', 'address', 'port'] as const

/** @internal `value`, or for an error a copy of it that carries nothing but its own story. */
export function loggable(value: unknown): unknown {
  if (!(value instanceof Error)) return value
  const cause = value.cause instanceof Error ? { cause: loggable(value.cause) } : undefined
  const copy: Error & { errors?: unknown[] } = new Error(value.message, cause)
  // Its own class and story for the log's sake; none of the properties put on it since.
  Object.setPrototypeOf(copy, Object.getPrototypeOf(value) as object)
  if (value.stack !== undefined) copy.stack = value.stack
  if (Object.hasOwn(value, 'name')) copy.name = value.name
  for (const key of DIAGNOSTICS) {
    // Own ones only: a class's own `code` (jose's, a getter on its prototype) stays with the class.
    if (!Object.hasOwn(value, key)) continue
    const property: unknown = (value as Error & Record<string, unknown>)[key]
    if (typeof property === 'string' || typeof property === 'number') {
      Object.defineProperty(copy, key, { value: property, enumerable: true, configurable: true })
    }
  }
  // Node reports a refused connection to a host with several addresses as one error per address.
  if (value instanceof AggregateError && Array.isArray(value.errors)) {
    copy.errors = value.errors.map(loggable)
  }
  return copy
}

/**
 * @internal `logger` with every argument passed through {@link loggable} first. The method is
 * looked up at each call, so a logger patched or spied on after the BFF was created still sees it.
 */
export function loggableLogger<L extends Partial<Pick<Console, 'warn' | 'error'>>>(logger: L): L {
  const wrap =
    (level: 'warn' | 'error') =>
    (...args: unknown[]) =>
      logger[level]?.(...args.map(loggable))
  return {
    ...logger,
    ...(logger.warn && { warn: wrap('warn') }),
    ...(logger.error && { error: wrap('error') }),
  }
}
