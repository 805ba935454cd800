import type { Metadata } from 'next'
import Link from 'next/link'
import { decodeSegment, parseTxHash, shortHash } from '@/lib/client/chain-view'
import { TxView } from '../../tx-view'

export async function generateMetadata({
  params,
}: {
  params: Promise<{ hash: string }>
}): Promise<Metadata> {
  const { hash } = await params
  return { title: `Transaction ${shortHash(hash)} · Explorer · HyperMesh` }
}

/** One transaction of the ledger, with its proof of state. */
export default async function TxPage({
  params,
}: {
  params: Promise<{ hash: string }>
}): Promise<React.ReactNode> {
  const { hash: raw } = await params
  const hash = parseTxHash(raw)
  if (hash === null) {
    return (
      <p className="rounded-lg border border-amber-900 bg-amber-950/40 px-3 py-2 text-sm text-amber-200">
        “{decodeSegment(raw)}” is not a transaction hash: a hash is 64 hex digits.{' '}
        <Link href="/explorer" className="underline">
          Back to the explorer
        </Link>
      </p>
    )
  }
  return <TxView key={hash} hash={hash} />
}
