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
