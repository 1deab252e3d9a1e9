/**
 * @module
 * A store capability made on its first call and then shared (`oidcStateStore()`), so every BFF on
 * one store instance works on the same one.
 * @internal
 */

/** @internal `make()` on the first call, the same value on every later one. */
export function once<T>(make: () => T): () => T {
  let value: T | undefined
  let made = false
  return () => {
    if (!made) {
      value = make()
      made = true
    }
    return value as T
  }
}
