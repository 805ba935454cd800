import type { Metadata } from 'next'
import Link from 'next/link'
import { decodeSegment, parseHeight } from '@/lib/client/chain-view'
import { BlockView } from '../../block-view'

export async function generateMetadata({
  params,
}: {
  params: Promise<{ height: string }>
}): Promise<Metadata> {
  const { height } = await params
  return { title: `Block #${height} · Explorer · HyperMesh` }
}

/** One block of the ledger. */
export default async function BlockPage({
  params,
}: {
  params: Promise<{ height: string }>
}): Promise<React.ReactNode> {
  const { height: raw } = await params
  const height = parseHeight(raw)
  if (height === null) {
    return (
      <p className="rounded-lg border border-amber-900 bg-amber-950/40 px-3 py-2 text-sm text-amber-200">
        “{decodeSegment(raw)}” is not a block height: heights are whole numbers.{' '}
        <Link href="/explorer" className="underline">
          Back to the explorer
        </Link>
      </p>
    )
  }
  return <BlockView key={height} height={height} />
}
