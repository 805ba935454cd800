'use client'
import Link from 'next/link'
import { useRouter } from 'next/navigation'
import type { ComponentProps } from 'react'

/**
 * A link that prefetches its page when pointed at (hover, focus or touch) rather than when it
 * scrolls into view. The nav bar and the home page's cards are on screen while a tab joins the
 * mesh: viewport prefetching made every new tab ask the server to render four more pages in its
 * busiest second (docs/performance.md, mesh).
 */
export function HoverLink(props: ComponentProps<typeof Link> & { href: string }): React.ReactNode {
  const router = useRouter()
  const prefetch = (): void => router.prefetch(props.href)
  return (
    <Link
      {...props}
      prefetch={false}
      onMouseEnter={prefetch}
      onFocus={prefetch}
      onTouchStart={prefetch}
    />
  )
}
