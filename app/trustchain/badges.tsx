import type { PeerTrust } from '@/lib/client/trustchain-view'

const TRUST_STYLE: Record<PeerTrust, { className: string; text: string }> = {
  verified: { className: 'bg-emerald-950 text-emerald-300 ring-emerald-800', text: '✓ verified' },
  pending: { className: 'bg-amber-950/60 text-amber-300 ring-amber-800', text: '… checking' },
  refused: { className: 'bg-rose-950 text-rose-300 ring-rose-800', text: '✗ refused' },
}

/** A small pill with a direct peer's TrustChain handshake state. */
export function TrustBadge({
  state,
  title,
}: {
  state: PeerTrust
  title?: string
}): React.ReactNode {
  const s = TRUST_STYLE[state]
  return (
    <span
      data-trust={state}
      title={title}
      className={`inline-flex items-center whitespace-nowrap rounded-full px-2 py-0.5 text-[11px] font-medium ring-1 ring-inset ${s.className}`}
    >
      {s.text}
    </span>
  )
}

/** The name of a failed check, as a small monospace tag. */
export function CheckTag({ check }: { check: string }): React.ReactNode {
  return (
    <span className="rounded bg-slate-800 px-1.5 py-0.5 font-mono text-[11px] text-slate-300">
      {check}
    </span>
  )
}
