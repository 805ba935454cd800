import type { Metadata } from 'next'
import { parseHeight } from '@/lib/client/chain-view'
import { ExplorerHome } from './explorer-home'

export const metadata: Metadata = {
  title: 'Explorer · HyperMesh',
  description:
    'The HyperMesh ledger as this tab’s node holds it: the newest blocks, their transactions and signers, accounts, and proofs of state checked in your browser.',
}

/** The ledger explorer. `?below=N` lists the blocks under height N instead of the newest. */
export default async function ExplorerPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>
}): Promise<React.ReactNode> {
  const params = await searchParams
  const raw = Array.isArray(params.below) ? params.below[0] : params.below
  const below = raw === undefined ? null : parseHeight(raw)
  return (
    <div className="space-y-6">
      <section>
        <h1 className="text-2xl font-semibold tracking-tight">Explorer</h1>
        <p className="mt-1 max-w-3xl text-sm text-slate-400">
          The ledger as this tab’s own node holds it: every block here was checked in your browser
          against its commit certificate before it was stored, and these pages read that copy, not a
          server’s.
        </p>
      </section>
      <ExplorerHome key={below ?? 'live'} below={below} />
    </div>
  )
}
