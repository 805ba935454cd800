'use client'
import { useMemo, useSyncExternalStore } from 'react'
import {
  MAP_REMODEL_INTERVAL_MS,
  NODE_EXPIRY_MS,
  NODE_FADE_START_MS,
  RTT_BAD_COLOR,
  RTT_BAD_MS,
  RTT_FAIR_COLOR,
  RTT_FAIR_MS,
  RTT_GOOD_COLOR,
  RTT_GOOD_MS,
  RTT_UNKNOWN_COLOR,
  SYNTHETIC_NOW_MS,
} from '@/lib/client/map-constants'
import { buildMapModel, type MapModel } from '@/lib/client/map-model'
import { syntheticSnapshot } from '@/lib/client/synthetic-mesh'
import { useMeshSnapshot } from '@/lib/client/use-mesh'
import { NetworkMap, TRUST_RING_COLORS } from './network-map'

/** Props of {@link MapView}. */
export interface MapViewProps {
  /** `?synthetic=N` already checked by the page: draw a made-up mesh of N nodes instead. */
  synthetic: { nodes: number; seed: number } | null
  /** Why a `?synthetic=` value was ignored, shown to the user; null when there is none. */
  syntheticProblem: string | null
}

/**
 * The map page body: headline figures, legend, the map, and hidden lists of the drawn nodes and
 * links for the e2e tests. The live map re-models the snapshot every second so nodes fade even
 * when no new heartbeat arrives; the synthetic one is built once and never changes.
 */
export function MapView({ synthetic, syntheticProblem }: MapViewProps): React.ReactNode {
  return synthetic === null ? (
    <LiveMap problem={syntheticProblem} />
  ) : (
    <SyntheticMap nodes={synthetic.nodes} seed={synthetic.seed} />
  )
}

function LiveMap({ problem }: { problem: string | null }): React.ReactNode {
  const snapshot = useMeshSnapshot()
  const nowMs = useSecondClock()
  const model = useMemo(() => buildMapModel(snapshot, nowMs), [snapshot, nowMs])
  const notice =
    snapshot.peerId === null
      ? 'Starting this tab’s node…'
      : model.stats.nodeCount === 1
        ? 'Only this tab so far. Other nodes appear as their heartbeats arrive.'
        : null
  return <MapBody model={model} synthetic={false} problem={problem} notice={notice} />
}

function SyntheticMap({ nodes, seed }: { nodes: number; seed: number }): React.ReactNode {
  // Modelled at the instant the synthetic mesh was made for, so nothing fades away.
  const model = useMemo(
    () => buildMapModel(syntheticSnapshot(nodes, seed), SYNTHETIC_NOW_MS),
    [nodes, seed],
  )
  return (
    <MapBody
      model={model}
      synthetic
      problem={null}
      notice={null}
      banner={
        <div
          role="status"
          data-testid="synthetic-banner"
          className="rounded-lg border-2 border-amber-400 bg-amber-400/15 px-4 py-3 text-amber-100"
        >
          <p className="font-semibold text-amber-300">
            Synthetic data — render test, not the live network
          </p>
          <p className="mt-0.5 text-sm text-amber-100/80">
            {nodes} made-up nodes (seed {seed}). None of them exist. Remove{' '}
            <code className="font-mono">?synthetic</code> from the address to see the real mesh.
          </p>
        </div>
      }
    />
  )
}

function MapBody({
  model,
  synthetic,
  problem,
  notice,
  banner,
}: {
  model: MapModel
  synthetic: boolean
  problem: string | null
  notice: string | null
  banner?: React.ReactNode
}): React.ReactNode {
  return (
    <div className="space-y-4" data-testid="map-view" data-synthetic={synthetic ? 'true' : 'false'}>
      {banner}
      {problem !== null && (
        <p className="rounded-lg border border-slate-700 bg-slate-900 px-4 py-2 text-sm text-slate-300">
          {problem}
        </p>
      )}

      <div className="flex flex-wrap items-end gap-x-10 gap-y-4">
        <Headline label="Nodes" value={String(model.stats.nodeCount)} testId="map-stat-nodes" />
        <Headline label="Links" value={String(model.stats.linkCount)} testId="map-stat-links" />
        <Headline
          label="Median RTT"
          value={model.stats.medianRttMs === null ? '—' : `${Math.round(model.stats.medianRttMs)}`}
          unit={model.stats.medianRttMs === null ? undefined : 'ms'}
          testId="map-stat-median-rtt"
        />
        <Legend />
      </div>

      <div className="relative h-[70vh] min-h-[420px] overflow-hidden rounded-xl border border-slate-800 bg-[radial-gradient(ellipse_at_center,_rgb(15_23_42)_0%,_rgb(2_6_23)_75%)]">
        <NetworkMap model={model} />
        {notice !== null && (
          <p className="pointer-events-none absolute inset-x-0 bottom-4 text-center text-sm text-slate-400">
            {notice}
          </p>
        )}
      </div>

      <p className="text-xs text-slate-500">
        Positions come from Vivaldi network coordinates: close nodes have a low round-trip time.
        Nodes without a coordinate yet are placed by their links. Click a node for details; scroll
        to zoom.
      </p>

      <ul data-testid="map-node-list" className="sr-only">
        {model.nodes.map((n) => (
          <li
            key={n.id}
            data-peer-id={n.id}
            data-self={n.isSelf ? 'true' : undefined}
            data-opacity={n.opacity.toFixed(2)}
            data-trust={n.trust?.state}
          >
            {n.isSelf ? `${n.label} (you)` : n.label}
          </li>
        ))}
      </ul>
      <ul data-testid="map-link-list" className="sr-only">
        {model.links.map((l) => (
          <li
            key={l.id}
            data-link={l.id}
            data-rtt={l.rttMs === null ? undefined : l.rttMs.toFixed(1)}
          >
            {l.id}
          </li>
        ))}
      </ul>
    </div>
  )
}

function Headline({
  label,
  value,
  unit,
  testId,
}: {
  label: string
  value: string
  unit?: string
  testId: string
}): React.ReactNode {
  return (
    <div>
      <p className="text-xs uppercase tracking-wide text-slate-500">{label}</p>
      <p className="text-4xl font-semibold tabular-nums text-emerald-300" data-testid={testId}>
        {value}
        {unit !== undefined && (
          <span className="ml-1 text-lg font-normal text-slate-400">{unit}</span>
        )}
      </p>
    </div>
  )
}

const RTT_GRADIENT = `linear-gradient(to right, ${RTT_GOOD_COLOR} 0%, ${RTT_GOOD_COLOR} ${pct(RTT_GOOD_MS)}, ${RTT_FAIR_COLOR} ${pct(RTT_FAIR_MS)}, ${RTT_BAD_COLOR} 100%)`

/** Position of an RTT on the legend bar, which runs from 0 to RTT_BAD_MS. */
function pct(ms: number): string {
  return `${(100 * ms) / RTT_BAD_MS}%`
}

function Legend(): React.ReactNode {
  return (
    <div
      className="ml-auto flex flex-wrap items-start gap-x-8 gap-y-3 text-xs text-slate-400"
      data-testid="map-legend"
    >
      <div className="w-56">
        <p className="mb-1 text-slate-500">Link round-trip time</p>
        <div className="h-2 rounded-full" style={{ background: RTT_GRADIENT }} />
        <div className="relative mt-1 h-4 tabular-nums">
          <span className="absolute left-0">≤{RTT_GOOD_MS}</span>
          <span className="absolute -translate-x-1/2" style={{ left: pct(RTT_FAIR_MS) }}>
            {RTT_FAIR_MS}
          </span>
          <span className="absolute right-0">≥{RTT_BAD_MS} ms</span>
        </div>
        <p className="flex items-center gap-1.5">
          <span className="inline-block h-0.5 w-4" style={{ backgroundColor: RTT_UNKNOWN_COLOR }} />
          not measured yet
        </p>
      </div>
      <div>
        <p className="mb-1 text-slate-500">Last heartbeat</p>
        <ul className="space-y-0.5">
          <li className="flex items-center gap-1.5">
            <Dot opacity={1} /> under {NODE_FADE_START_MS / 1000} s ago
          </li>
          <li className="flex items-center gap-1.5">
            <Dot opacity={0.5} /> fading: {(NODE_FADE_START_MS + NODE_EXPIRY_MS) / 2000} s ago
          </li>
          <li className="flex items-center gap-1.5">
            <Dot opacity={0.12} /> gone after {NODE_EXPIRY_MS / 1000} s
          </li>
        </ul>
      </div>
      <div>
        <p className="mb-1 text-slate-500">Nodes</p>
        <ul className="space-y-0.5">
          <li className="flex items-center gap-1.5">
            <span className="inline-block h-2.5 w-2.5 rounded-full bg-emerald-400 ring-2 ring-emerald-300/60" />
            you
          </li>
          <li className="flex items-center gap-1.5">
            <span className="inline-block h-2 w-2 rounded-full bg-slate-300" /> browser tab
          </li>
          <li className="flex items-center gap-1.5">
            <span className="inline-block h-2 w-2 rounded-full bg-sky-400" /> headless node
          </li>
        </ul>
      </div>
      <div data-testid="map-legend-trust">
        <p className="mb-1 text-slate-500">TrustChain (your direct peers)</p>
        <ul className="space-y-0.5">
          <li className="flex items-center gap-1.5">
            <TrustRing color={TRUST_RING_COLORS.verified} /> certificate verified
          </li>
          <li className="flex items-center gap-1.5">
            <TrustRing color={TRUST_RING_COLORS.pending} dashed /> handshake in progress
          </li>
          <li className="flex items-center gap-1.5">
            <TrustRing color={TRUST_RING_COLORS.refused} /> refused (click for why)
          </li>
        </ul>
      </div>
    </div>
  )
}

function TrustRing({
  color,
  dashed = false,
}: {
  color: string
  dashed?: boolean
}): React.ReactNode {
  return (
    <span
      className={`inline-block h-3 w-3 rounded-full border-[1.5px] p-[1.5px] ${dashed ? 'border-dashed' : ''}`}
      style={{ borderColor: color }}
    >
      <span className="block h-full w-full rounded-full bg-slate-300" />
    </span>
  )
}

function Dot({ opacity }: { opacity: number }): React.ReactNode {
  return <span className="inline-block h-2 w-2 rounded-full bg-slate-300" style={{ opacity }} />
}

/**
 * Wall-clock time rounded down to the second, ticking every MAP_REMODEL_INTERVAL_MS; 0 during
 * server rendering and hydration (a model at time 0 treats every heartbeat as fresh).
 */
function useSecondClock(): number {
  return useSyncExternalStore(subscribeClock, readClock, () => 0)
}

function subscribeClock(onTick: () => void): () => void {
  const id = setInterval(onTick, MAP_REMODEL_INTERVAL_MS)
  return () => clearInterval(id)
}

function readClock(): number {
  // Rounded so repeated reads within a render return the same value, as useSyncExternalStore needs.
  return Math.floor(Date.now() / 1000) * 1000
}
