import Link from 'next/link'
import {
  nodeRoute,
  type AssetType,
  type Online,
  type RegisteredLevel,
} from '@/lib/client/asset-explorer'
import { shortPeerId } from '@/lib/client/chain-view'
import { YouTag } from './bits'

// One hue per asset type, so a column of types reads at a glance.
const TYPE_STYLES: Record<AssetType, string> = {
  cpu: 'bg-sky-500/10 text-sky-300 ring-sky-500/30',
  gpu: 'bg-rose-500/10 text-rose-300 ring-rose-500/30',
  memory: 'bg-violet-500/10 text-violet-300 ring-violet-500/30',
  storage: 'bg-amber-500/10 text-amber-300 ring-amber-500/30',
  network: 'bg-teal-500/10 text-teal-300 ring-teal-500/30',
  container: 'bg-slate-500/10 text-slate-300 ring-slate-500/30',
  economic: 'bg-lime-500/10 text-lime-300 ring-lime-500/30',
}

/** An asset type as a small coloured tag. */
export function TypeBadge({ type }: { type: AssetType }): React.ReactNode {
  return (
    <span
      className={`inline-block rounded px-1.5 py-0.5 font-mono text-[11px] font-medium uppercase tracking-wide ring-1 ring-inset ${TYPE_STYLES[type]}`}
    >
      {type}
    </span>
  )
}

const LEVEL_HELP: Record<RegisteredLevel, string> = {
  'public-network':
    'Public network: any node may reach it with a capability its owner signed (reward × 0.75).',
  'full-public':
    'Full public: any node may reach it with a capability its owner signed (reward × 1).',
}

/** A privacy level of a registered asset. */
export function LevelBadge({ level }: { level: RegisteredLevel }): React.ReactNode {
  return (
    <span
      title={LEVEL_HELP[level]}
      className={`inline-block whitespace-nowrap rounded-full px-2 py-0.5 text-[11px] ring-1 ring-inset ${
        level === 'full-public'
          ? 'text-emerald-300 ring-emerald-700/70'
          : 'text-sky-300 ring-sky-700/70'
      }`}
    >
      {level}
    </span>
  )
}

/** Online, on chain, offline or retired, with why in its tooltip. */
export function OnlineBadge({ online }: { online: Online }): React.ReactNode {
  const dot =
    online.state === 'heard'
      ? 'bg-emerald-400'
      : online.state === 'chain'
        ? 'bg-sky-400'
        : online.state === 'retired'
          ? 'bg-rose-400'
          : 'bg-slate-600'
  return (
    <span
      className="inline-flex items-center gap-1.5 whitespace-nowrap text-xs font-normal tracking-normal text-slate-300"
      title={online.why}
      data-online={online.state}
    >
      <span aria-hidden className={`inline-block h-2 w-2 rounded-full ${dot}`} />
      <span className={online.state === 'offline' ? 'text-slate-500' : undefined}>
        {online.text}
      </span>
    </span>
  )
}

/** A node by peer ID, short, linking to its node page. */
export function NodeLink({
  peerId,
  self = false,
  full = false,
}: {
  peerId: string
  self?: boolean
  /** Write the whole peer ID (it breaks across lines). */
  full?: boolean
}): React.ReactNode {
  return (
    <span className="inline-flex min-w-0 flex-wrap items-center gap-1.5">
      <Link
        href={nodeRoute(peerId)}
        title={peerId}
        className={`font-mono text-xs text-slate-200 hover:text-emerald-300 hover:underline ${full ? 'break-all' : 'whitespace-nowrap'}`}
      >
        {full ? peerId : shortPeerId(peerId)}
      </Link>
      {self && <YouTag />}
    </span>
  )
}

/** A value the explorer does not know, written so. */
export function Unknown({ why }: { why?: string }): React.ReactNode {
  return (
    <span className="text-slate-500" title={why}>
      unknown
    </span>
  )
}
