import Link from 'next/link'
import { explorerRoute, peerLabel, shortHash } from '@/lib/client/chain-view'
import type { LedgerSnapshot } from '@/lib/client/types'

/** The card every panel of the site sits in. */
export const CARD = 'rounded-xl border border-slate-800 bg-slate-900/60 p-4'

/** A peer (by account key), as its short peer ID linking to its account page. */
export function PeerLink({
  keyHex,
  selfKey,
  full = false,
}: {
  keyHex: string
  selfKey?: string | null
  /** Write the whole peer ID (it breaks across lines). */
  full?: boolean
}): React.ReactNode {
  const label = peerLabel(keyHex)
  return (
    <span className="inline-flex min-w-0 flex-wrap items-center gap-1.5">
      <Link
        href={explorerRoute({ kind: 'account', key: keyHex })}
        title={label.peerId !== null ? `${label.peerId}\nkey ${keyHex}` : keyHex}
        className={`font-mono text-xs text-slate-200 hover:text-emerald-300 hover:underline ${full ? 'break-all' : 'whitespace-nowrap'}`}
      >
        {full ? (label.peerId ?? keyHex) : label.short}
      </Link>
      {selfKey === keyHex && <YouTag />}
    </span>
  )
}

/** "you", after this node's own ID. */
export function YouTag(): React.ReactNode {
  return (
    <span className="rounded bg-emerald-950 px-1.5 py-0.5 text-[10px] uppercase tracking-wide text-emerald-300">
      you
    </span>
  )
}

/** A block height linking to its page. */
export function BlockLink({ height }: { height: number }): React.ReactNode {
  return (
    <Link
      href={explorerRoute({ kind: 'block', height })}
      className="font-mono tabular-nums text-emerald-300 hover:text-emerald-200 hover:underline"
    >
      #{height}
    </Link>
  )
}

/** A transaction hash, short, linking to its page. */
export function TxLink({ hash, chars = 10 }: { hash: string; chars?: number }): React.ReactNode {
  return (
    <Link
      href={explorerRoute({ kind: 'tx', hash })}
      title={hash}
      className="whitespace-nowrap font-mono text-xs text-emerald-300 hover:text-emerald-200 hover:underline"
    >
      {shortHash(hash, chars, 4)}
    </Link>
  )
}

/** A label and its value in a definition list of two columns. */
export function Field({
  label,
  children,
  title,
}: {
  label: string
  children: React.ReactNode
  title?: string
}): React.ReactNode {
  return (
    <>
      <dt className="text-slate-500" title={title}>
        {label}
      </dt>
      <dd className="min-w-0 text-slate-200">{children}</dd>
    </>
  )
}

/** A small spinning ring. */
export function Spinner(): React.ReactNode {
  return (
    <span
      aria-hidden
      className="inline-block h-3 w-3 animate-spin rounded-full border-2 border-slate-600 border-t-emerald-400"
    />
  )
}

/** A sentence saying something went wrong. */
export function Problem({
  children,
  testId,
}: {
  children: React.ReactNode
  testId?: string
}): React.ReactNode {
  return (
    <p
      role="alert"
      data-testid={testId}
      className="rounded-lg border border-amber-900 bg-amber-950/40 px-3 py-2 text-sm text-amber-200"
    >
      {children}
    </p>
  )
}

/**
 * While the tab's ledger is not running, a line saying so (the explorer's data comes from it);
 * nothing once it is.
 */
export function LedgerNotice({ ledger }: { ledger: LedgerSnapshot }): React.ReactNode {
  if (ledger.status === 'live') return null
  if (ledger.status === 'unavailable' || ledger.status === 'failed') {
    return (
      <Problem testId="ledger-problem">
        {ledger.problem ?? 'This tab’s ledger is not running.'}
      </Problem>
    )
  }
  return (
    <p
      className="flex items-center gap-2 rounded-lg border border-slate-800 bg-slate-950/60 px-3 py-2 text-sm text-slate-400"
      data-testid="ledger-waiting"
    >
      <Spinner />
      {ledger.status === 'off'
        ? 'The ledger starts in this tab once the node has joined the mesh…'
        : 'The ledger is starting in this tab: syncing blocks from the network…'}
    </p>
  )
}
