import type { Metadata } from 'next'
import { parseAssetListView } from '@/lib/client/asset-explorer'
import { AssetsHome } from '../asset-list'

export const metadata: Metadata = {
  title: 'Assets · Explorer · HyperMesh',
  description:
    'Every asset registered on the HyperMesh ledger — CPU, memory, storage, GPU and network offered by its nodes — with its GlobalAddress, owner, privacy level, share and whether it is online.',
}

/**
 * The explorer's asset list. `?type=`, `?level=`, `?online=`, `?sort=` and `?dir=` set its
 * filters and sorting (lib/client/asset-explorer.ts `parseAssetListView`).
 */
export default async function AssetsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>
}): Promise<React.ReactNode> {
  const { view, problems } = parseAssetListView(await searchParams)
  return (
    <div className="space-y-6">
      <section>
        <h1 className="text-2xl font-semibold tracking-tight">Explorer</h1>
        <p className="mt-1 max-w-3xl text-sm text-slate-400">
          The assets nodes offer to the mesh, as the ledger this tab’s own node verified lists them:
          who owns each one, at which GlobalAddress, how much of it is shared, and whether its node
          is online now.
        </p>
      </section>
      <AssetsHome initialView={view} problems={problems} />
    </div>
  )
}
