import type { MouseEvent, ReactNode } from 'react'
import { navigate, usePath } from '../router'

interface LinkProps {
  to: string
  children: ReactNode
  className?: string
  /** Mark the link `aria-current="page"` while its page is shown (navigation links). */
  markCurrent?: boolean
  'aria-label'?: string
}

/** A link that changes the page without reloading it. */
export function Link({ to, children, className, markCurrent = false, ...rest }: LinkProps) {
  const path = usePath()
  const current = markCurrent && path === to
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    // Let the browser handle new-tab and download gestures.
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return
    }
    event.preventDefault()
    navigate(to)
  }
  return (
    <a
      href={to}
      onClick={onClick}
      className={className}
      aria-current={current ? 'page' : undefined}
      {...rest}
    >
      {children}
    </a>
  )
}
