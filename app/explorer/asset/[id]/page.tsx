import type { Metadata } from 'next'
import Link from 'next/link'
import { parseAssetSegment } from '@/lib/client/asset-explorer'
import { AssetView } from '../../asset-view'

export async function generateMetadata({
  params,
}: {
  params: Promise<{ id: string }>
}): Promise<Metadata> {
  const { id } = await params
  const q = parseAssetSegment(id)
  return {
    title: `${q.ok && q.form === 'asset-id' ? `Asset ${q.query.split(':')[0]}` : 'Asset'} · Explorer · HyperMesh`,
  }
}

/**
 * One registered asset, by asset ID (`memory:<uuid>`, how the explorer links), UUID,
 * GlobalAddress or `hypermesh://` URI (encoded).
 */
export default async function AssetPage({
  params,
}: {
  params: Promise<{ id: string }>
}): Promise<React.ReactNode> {
  const { id } = await params
  const q = parseAssetSegment(id)
  if (!q.ok) {
    return (
      <p
        className="rounded-lg border border-amber-900 bg-amber-950/40 px-3 py-2 text-sm text-amber-200"
        data-testid="asset-bad"
      >
        {q.message}{' '}
        <Link href="/explorer/assets" className="underline">
          All assets
        </Link>
      </p>
    )
  }
  return <AssetView key={q.query} query={q.query} />
}
