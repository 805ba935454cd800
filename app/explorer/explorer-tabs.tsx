import Link from 'next/link'
import { assetListRoute } from '@/lib/client/asset-explorer'

/** The explorer's two lists: blocks (its home) and registered assets. */
export function ExplorerTabs({ active }: { active: 'blocks' | 'assets' }): React.ReactNode {
  const tab = (on: boolean) =>
    `-mb-px border-b-2 px-3 py-2 text-sm ${on ? 'border-emerald-400 font-medium text-slate-100' : 'border-transparent text-slate-400 hover:border-slate-600 hover:text-slate-200'}`
  return (
    <nav aria-label="Explorer lists" className="flex gap-1 border-b border-slate-800">
      <Link
        href="/explorer"
        className={tab(active === 'blocks')}
        aria-current={active === 'blocks' ? 'page' : undefined}
        data-testid="explorer-tab-blocks"
      >
        Blocks
      </Link>
      <Link
        href={assetListRoute()}
        className={tab(active === 'assets')}
        aria-current={active === 'assets' ? 'page' : undefined}
        data-testid="explorer-tab-assets"
      >
        Assets
      </Link>
    </nav>
  )
}
