/**
 * @module
 * What the BFF hands its logger. An error keeps its name, message, stack and the causes that are
 * errors themselves; not the other properties a library hangs on it, which can hold secrets:
 * ioredis attaches the failed command's arguments (`command.args`: the session or the sealed
 * value being written), openid-client an authorization error's query as its `cause` (`state`).
 * @internal
 */

/** @internal `value`, or for an error a copy of it that carries nothing but its own story. */
export function loggable(value: unknown): unknown {
  if (!(value instanceof Error)) return value
  const cause = value.cause instanceof Error ? { cause: loggable(value.cause) } : undefined
  const copy = new Error(value.message, cause)
  // Its own class and story for the log's sake; none of the properties put on it since.
  Object.setPrototypeOf(copy, Object.getPrototypeOf(value) as object)
  if (value.stack !== undefined) copy.stack = value.stack
  if (Object.hasOwn(value, 'name')) copy.name = value.name
  return copy
}

/** @internal `logger` with every argument passed through {@link loggable} first. */
export function loggableLogger<L extends Partial<Pick<Console, 'warn' | 'error'>>>(logger: L): L {
  const wrap =
    (log: (...args: unknown[]) => void) =>
    (...args: unknown[]) =>
      log(...args.map(loggable))
  return {
    ...logger,
    ...(logger.warn && { warn: wrap(logger.warn.bind(logger)) }),
    ...(logger.error && { error: wrap(logger.error.bind(logger)) }),
  }
}
