import type { Metadata } from 'next'
import Link from 'next/link'
import { parseNodeSegment } from '@/lib/client/asset-explorer'
import { decodeSegment } from '@/lib/client/chain-view'
import { NodeView } from '../../node-view'

export async function generateMetadata({
  params,
}: {
  params: Promise<{ peerId: string }>
}): Promise<Metadata> {
  const { peerId } = await params
  const node = parseNodeSegment(peerId)
  return {
    title: `Node ${node === null ? '' : `${node.peerId.slice(0, 12)}… `}· Explorer · HyperMesh`,
  }
}

/** One node of the mesh, by peer ID (or hex key): its assets, heartbeats and ledger records. */
export default async function NodePage({
  params,
}: {
  params: Promise<{ peerId: string }>
}): Promise<React.ReactNode> {
  const { peerId: raw } = await params
  const node = parseNodeSegment(raw)
  if (node === null) {
    return (
      <p
        className="rounded-lg border border-amber-900 bg-amber-950/40 px-3 py-2 text-sm text-amber-200"
        data-testid="node-bad"
      >
        “{decodeSegment(raw).slice(0, 100)}” is not a node: use a peer ID (12D3KooW…) or a 64-digit
        hex key.{' '}
        <Link href="/explorer" className="underline">
          Back to the explorer
        </Link>
      </p>
    )
  }
  return <NodeView key={node.keyHex} peerId={node.peerId} keyHex={node.keyHex} />
}
