import type { Metadata } from 'next'
import { TrustchainExplorer } from './explorer'

export const metadata: Metadata = {
  title: 'TrustChain · HyperMesh',
  description:
    'The HyperMesh transparency log: its signed checkpoint, the newest certificates, and a certificate checker that draws the inclusion proof.',
}

/**
 * The TrustChain page. `?index=N` opens the checker on the certificate logged at entry N (the
 * home page and the map link here).
 */
export default async function TrustchainPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>
}): Promise<React.ReactNode> {
  const params = await searchParams
  const raw = Array.isArray(params.index) ? params.index[0] : params.index
  const index = raw !== undefined && /^\d{1,15}$/.test(raw) ? Number(raw) : null
  return (
    <div className="space-y-6">
      <section>
        <h1 className="text-2xl font-semibold tracking-tight">TrustChain</h1>
        <p className="mt-1 max-w-3xl text-sm text-slate-400">
          Every node holds a short-lived certificate from the HyperMesh CA, and every certificate is
          a leaf of an append-only Merkle tree: the transparency log. Peers check each other’s
          certificate against the log’s signed checkpoint before they trust a link. This page
          follows the log and checks it in your browser.
        </p>
      </section>
      {/* Keyed so that following a link to another ?index= starts the checker afresh. */}
      <TrustchainExplorer key={index ?? 'none'} initialIndex={index} />
    </div>
  )
}
