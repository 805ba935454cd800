import type { Metadata } from 'next'
import Link from 'next/link'
import { decodeSegment, parseAccount } from '@/lib/client/chain-view'
import { AccountView } from '../../account-view'

export const metadata: Metadata = { title: 'Account · Explorer · HyperMesh' }

/** One account of the ledger, by hex key or peer ID. */
export default async function AccountPage({
  params,
}: {
  params: Promise<{ key: string }>
}): Promise<React.ReactNode> {
  const { key: raw } = await params
  const key = parseAccount(raw)
  if (key === null) {
    return (
      <p className="rounded-lg border border-amber-900 bg-amber-950/40 px-3 py-2 text-sm text-amber-200">
        “{decodeSegment(raw)}” is not an account: use a peer ID (12D3KooW…) or a 64-digit hex key.{' '}
        <Link href="/explorer" className="underline">
          Back to the explorer
        </Link>
      </p>
    )
  }
  return <AccountView key={key} keyHex={key} />
}
