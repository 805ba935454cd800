import type { MeshStatus } from '@/lib/client/types'

const COLOURS: Record<MeshStatus, string> = {
  starting: 'bg-slate-500',
  connecting: 'bg-amber-400 animate-pulse',
  'relay-only': 'bg-amber-400',
  direct: 'bg-emerald-400',
  offline: 'bg-rose-500 animate-pulse',
}

/** A coloured dot for the node's connection state. */
export function StatusDot({ status }: { status: MeshStatus }): React.ReactNode {
  return <span aria-hidden className={`inline-block h-2.5 w-2.5 rounded-full ${COLOURS[status]}`} />
}
