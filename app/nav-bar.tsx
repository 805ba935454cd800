'use client'
import { HoverLink as Link } from './hover-link'
import { usePathname } from 'next/navigation'
import { useMeshSnapshot } from '@/lib/client/use-mesh'
import { StatusDot } from './status-dot'

const LINKS = [
  { href: '/', label: 'Node' },
  { href: '/map', label: 'Network map' },
  { href: '/trustchain', label: 'TrustChain' },
  { href: '/explorer', label: 'Explorer' },
  { href: '/mfn', label: 'MFN' },
]

/** Top navigation with this node's live status. */
export function NavBar(): React.ReactNode {
  const pathname = usePathname()
  const snap = useMeshSnapshot()
  const direct = snap.connections.filter((c) => c.transport === 'webrtc').length
  return (
    <header className="sticky top-0 z-20 border-b border-slate-800 bg-slate-950/80 backdrop-blur">
      <nav className="mx-auto flex max-w-6xl items-center gap-4 px-4 py-3 sm:gap-6">
        <Link href="/" className="flex items-center gap-2 font-semibold tracking-tight">
          <span className="inline-block h-5 w-5 rounded-md bg-gradient-to-br from-emerald-400 to-cyan-500" />
          <span className="hidden sm:inline">HyperMesh</span>
        </Link>
        {LINKS.map((l) => (
          <Link
            key={l.href}
            href={l.href}
            className={`whitespace-nowrap text-sm ${isActive(pathname, l.href) ? 'text-emerald-300' : 'text-slate-400 hover:text-slate-200'}`}
          >
            {l.label}
          </Link>
        ))}
        <span className="ml-auto flex items-center gap-2 text-xs text-slate-400">
          <StatusDot status={snap.status} />
          <span className="hidden sm:inline">
            {direct} direct · {snap.nodes.length} nodes heard
          </span>
        </span>
      </nav>
    </header>
  )
}

/** The link of the current page: its own path, or a page under it (/explorer/block/3). */
function isActive(pathname: string | null, href: string): boolean {
  if (pathname === null) return false
  return href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href}/`)
}
