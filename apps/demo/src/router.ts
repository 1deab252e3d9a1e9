/**
 * @module
 * Client-side routing in a few lines: the History API plus `useSyncExternalStore`.
 */
import { useSyncExternalStore } from 'react'

const listeners = new Set<() => void>()

function subscribe(listener: () => void) {
  listeners.add(listener)
  window.addEventListener('popstate', listener)
  return () => {
    listeners.delete(listener)
    window.removeEventListener('popstate', listener)
  }
}

/** Goes to `to` (a path with an optional query) without reloading the page. */
export function navigate(to: string, options: { replace?: boolean } = {}) {
  if (to === window.location.pathname + window.location.search) return
  if (options.replace) window.history.replaceState(null, '', to)
  else window.history.pushState(null, '', to)
  for (const listener of listeners) listener()
}

/**
 * `target` as a path of this app (path, query and hash), or `/` when it would lead elsewhere.
 * Resolving it as the browser will is the only reliable check: `/\evil.example` starts with a
 * single slash yet names the host evil.example, because URL parsers read `\` as `/`. Such a
 * value would be an open redirect, and `history.replaceState` throws on a foreign origin.
 *
 * @example
 * ```ts
 * sameOriginPath(new URLSearchParams(location.search).get('next'), location.origin) // '/devices'
 * ```
 */
export function sameOriginPath(target: string | null, origin: string): string {
  if (!target) return '/'
  let url: URL
  try {
    url = new URL(target, origin)
  } catch {
    return '/'
  }
  return url.origin === origin ? url.pathname + url.search + url.hash : '/'
}

const currentPath = () => window.location.pathname
const currentSearch = () => window.location.search

/** The current path, e.g. `/devices`. */
export function usePath(): string {
  return useSyncExternalStore(subscribe, currentPath, () => '/')
}

/** The current query string, e.g. `?next=%2Fdevices`. */
export function useSearch(): string {
  return useSyncExternalStore(subscribe, currentSearch, () => '')
}
