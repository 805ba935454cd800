'use client'
import Link from 'next/link'
import { useCallback, useEffect, useRef, useState } from 'react'
import { forceCollide } from 'd3-force-3d'
import type ForceGraph from 'force-graph'
import type { LinkObject, NodeObject } from 'force-graph'
import { MAP_UPDATE_INTERVAL_MS } from '@/lib/client/map-constants'
import { nodeRoute } from '@/lib/client/explorer-routes'
import { formatRtt } from '@/lib/client/format'
import {
  rttColor,
  shortPeerId,
  type MapLink,
  type MapModel,
  type MapNode,
  type MapRenderStats,
} from '@/lib/client/map-model'

declare global {
  interface Window {
    /** Live counters of the network map, for e2e tests and the bench (see MapRenderStats). */
    __hypermeshMapStats?: MapRenderStats
  }
}

/** A node object handed to force-graph: kept by id across updates so positions never jump. */
interface GraphNode extends NodeObject {
  id: string
  model: MapNode
  /** Target position in graph units from the Vivaldi projection; undefined → layout forces only. */
  tx?: number
  ty?: number
}

/** A link object handed to force-graph: force-graph swaps source/target ids for node objects. */
interface GraphLink extends LinkObject<GraphNode> {
  id: string
  model: MapLink
  /** The link colour with the fade applied, precomputed so the draw loop does no string work. */
  drawColor: string
}

type Graph = ForceGraph<GraphNode, GraphLink>

/** Everything the canvas callbacks read, mutated outside React so no render is needed. */
interface GraphState {
  nodes: Map<string, GraphNode>
  links: Map<string, GraphLink>
  nowMs: number
  /** Graph units per projected millisecond; changed only on big changes of the spread. */
  scale: number | null
  hoverId: string | null
  selectedId: string | null
  /** Zoom to fit until the user pans, zooms or clicks by hand. */
  autoFit: boolean
  /** Simulation ticks since the graph was created (paces the automatic fit). */
  ticks: number
  stats: MapRenderStats
}

/** Node radius in graph units (force-graph's nodeRelSize); self is drawn 1.5× larger. */
const NODE_REL_SIZE = 4
const SELF_VAL = 2.25
/** Zoom level from which every node's label is drawn (below it: self, hovered and selected only). */
const LABEL_MIN_ZOOM = 2.2
/** Pull toward the Vivaldi target, per tick, times alpha. Strong: the targets are the point. */
const TARGET_STRENGTH = 0.3
/** Caps on one run of the simulation, so a 200-node map settles and stops drawing. */
const COOLDOWN_TICKS = 220
const COOLDOWN_MS = 4_000
const ALPHA_DECAY = 0.035
/** The simulation stops below this alpha (about 150 ticks after a reheat). */
const ALPHA_MIN = 0.005
/** A target has to move this far (graph units) before the simulation is reheated. */
const REHEAT_DISTANCE = 6
/** The spread of targets is only rescaled when it changes by more than this factor. */
const RESCALE_HYSTERESIS = 1.2
const FIT_PADDING_PX = 48
const FIT_EVERY_TICKS = 30
const FIT_TWEEN_MS = 300

const COLOR_SELF = '#34d399' // emerald-400
const COLOR_SELF_RING = '#6ee7b7' // emerald-300
const COLOR_BROWSER = '#cbd5e1' // slate-300
const COLOR_SERVER = '#38bdf8' // sky-400: headless Node.js nodes
const COLOR_SELECTED_RING = '#f8fafc' // slate-50
const COLOR_LABEL = '#cbd5e1'
/** TrustChain rings around direct peers (legend in map-view.tsx). */
export const TRUST_RING_COLORS = {
  verified: '#34d399', // emerald-400
  pending: '#fbbf24', // amber-400
  refused: '#f43f5e', // rose-500
} as const
/** Zoom level from which a verified / refused peer also gets a ✓ / × badge. */
const BADGE_MIN_ZOOM = 2.2

/** Props of {@link NetworkMap}. */
export interface NetworkMapProps {
  /** What to draw; a new model every second is fine, it is applied at most twice a second. */
  model: MapModel
}

/**
 * The live network map: a force-graph canvas where each node is pulled toward its 2-D Vivaldi
 * position (charge and link forces place nodes without a coordinate), links are coloured by RTT,
 * stale nodes fade, and a click opens a details panel. The graph is created once; each model is
 * merged into it by id. Exposes `window.__hypermeshMapStats`.
 */
export function NetworkMap({ model }: NetworkMapProps): React.ReactNode {
  const containerRef = useRef<HTMLDivElement>(null)
  const graphRef = useRef<Graph | null>(null)
  const stateRef = useRef<GraphState | null>(null)
  const modelRef = useRef(model)
  const lastApplyRef = useRef(0)
  const timerRef = useRef<ReturnType<typeof setTimeout> | null>(null)
  const [selectedId, setSelectedId] = useState<string | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)

  const applyLatest = useCallback((): void => {
    timerRef.current = null
    const graph = graphRef.current
    const state = stateRef.current
    if (graph === null || state === null) return
    lastApplyRef.current = performance.now()
    applyModel(graph, state, modelRef.current)
  }, [])

  // Create the graph once. force-graph reads `window` at import time, hence the dynamic import.
  useEffect(() => {
    const container = containerRef.current
    if (container === null) return
    let cancelled = false
    let observer: ResizeObserver | null = null
    const stats: MapRenderStats = { nodes: 0, links: 0, frames: 0 }
    window.__hypermeshMapStats = stats
    const state: GraphState = {
      nodes: new Map(),
      links: new Map(),
      nowMs: 0,
      scale: null,
      hoverId: null,
      selectedId: null,
      autoFit: true,
      ticks: 0,
      stats,
    }
    const stopAutoFit = (): void => {
      state.autoFit = false
    }
    container.addEventListener('wheel', stopAutoFit, { passive: true })
    container.addEventListener('pointerdown', stopAutoFit)

    import('force-graph')
      .then(({ default: ForceGraphClass }) => {
        if (cancelled) return
        const graph: Graph = new ForceGraphClass<GraphNode, GraphLink>(container)
        configure(graph, state, {
          onSelect: (id) => {
            state.selectedId = id
            setSelectedId(id)
          },
        })
        const { width, height } = container.getBoundingClientRect()
        graph.width(Math.max(1, Math.floor(width))).height(Math.max(1, Math.floor(height)))
        observer = new ResizeObserver((entries) => {
          const box = entries[0]?.contentRect
          if (box === undefined || box.width < 1 || box.height < 1) return
          graph.width(Math.floor(box.width)).height(Math.floor(box.height))
        })
        observer.observe(container)
        graphRef.current = graph
        stateRef.current = state
        applyLatest()
      })
      .catch((err: unknown) => {
        if (cancelled) return
        console.error('network map: could not load force-graph', err)
        setLoadError('The map could not be drawn in this browser. Reload the page to try again.')
      })

    return () => {
      cancelled = true
      observer?.disconnect()
      container.removeEventListener('wheel', stopAutoFit)
      container.removeEventListener('pointerdown', stopAutoFit)
      if (timerRef.current !== null) clearTimeout(timerRef.current)
      timerRef.current = null
      graphRef.current?._destructor()
      graphRef.current = null
      stateRef.current = null
      container.replaceChildren()
      if (window.__hypermeshMapStats === stats) delete window.__hypermeshMapStats
    }
  }, [applyLatest])

  // Merge each new model, at most once per MAP_UPDATE_INTERVAL_MS (the last one always lands).
  useEffect(() => {
    modelRef.current = model
    if (graphRef.current === null || timerRef.current !== null) return
    const wait = lastApplyRef.current + MAP_UPDATE_INTERVAL_MS - performance.now()
    if (wait <= 0) applyLatest()
    else timerRef.current = setTimeout(applyLatest, wait)
  }, [model, applyLatest])

  const select = useCallback((id: string | null): void => {
    const state = stateRef.current
    const graph = graphRef.current
    if (state !== null) state.selectedId = id
    setSelectedId(id)
    if (graph === null) return
    const node = id === null ? undefined : state?.nodes.get(id)
    if (node?.x !== undefined && node.y !== undefined) graph.centerAt(node.x, node.y, 400)
    redraw(graph)
  }, [])

  const fit = useCallback((): void => {
    const state = stateRef.current
    if (state !== null) state.autoFit = true
    graphRef.current?.zoomToFit(400, FIT_PADDING_PX)
  }, [])

  useEffect(() => {
    if (selectedId === null) return
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === 'Escape') select(null)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [selectedId, select])

  const selected = selectedId === null ? undefined : model.nodes.find((n) => n.id === selectedId)

  return (
    <div className="relative h-full w-full overflow-hidden">
      <div
        ref={containerRef}
        className="absolute inset-0"
        role="img"
        aria-label={`Network map: ${model.stats.nodeCount} nodes, ${model.stats.linkCount} links`}
      />
      <button
        type="button"
        onClick={fit}
        className="absolute left-3 top-3 rounded-md border border-slate-700 bg-slate-900/80 px-2.5 py-1 text-xs text-slate-300 backdrop-blur hover:border-emerald-500 hover:text-emerald-300"
      >
        Fit to view
      </button>
      {loadError !== null && (
        <p className="absolute inset-x-0 top-1/2 text-center text-sm text-red-300">{loadError}</p>
      )}
      {selected !== undefined && (
        <NodeDetails
          node={selected}
          nowMs={model.nowMs}
          selfId={model.selfId}
          onClose={() => select(null)}
          onSelect={select}
        />
      )}
    </div>
  )
}

/** Sets up force-graph once: drawing, forces, interaction and the frame counter. */
function configure(
  graph: Graph,
  state: GraphState,
  handlers: { onSelect: (id: string | null) => void },
): void {
  graph
    .backgroundColor('rgba(0,0,0,0)')
    .nodeId('id')
    .nodeRelSize(NODE_REL_SIZE)
    .nodeVal((n) => (n.model.isSelf ? SELF_VAL : 1))
    .nodeLabel((n) => tooltipHtml(n.model, state.nowMs))
    .nodeCanvasObjectMode(() => 'replace')
    .nodeCanvasObject((n, ctx, scale) => drawNode(n, ctx, scale, state))
    .linkColor((l) => l.drawColor)
    .linkWidth((l) => (isAttached(l, state.hoverId) || isAttached(l, state.selectedId) ? 2 : 1))
    .minZoom(0.05)
    .maxZoom(8)
    .cooldownTicks(COOLDOWN_TICKS)
    .cooldownTime(COOLDOWN_MS)
    .d3AlphaDecay(ALPHA_DECAY)
    .d3AlphaMin(ALPHA_MIN)
    .d3VelocityDecay(0.35)
    .onRenderFramePost(() => {
      state.stats.frames++
    })
    .onNodeHover((n) => {
      state.hoverId = n?.id ?? null
      redraw(graph)
    })
    .onNodeClick((n) => handlers.onSelect(n.id))
    .onBackgroundClick(() => handlers.onSelect(null))
    .onEngineTick(() => {
      // Follow the layout as it spreads (nodes without a coordinate start bunched at the centre),
      // but only every few ticks: each fit is a short tween.
      state.ticks++
      if (!state.autoFit || state.nodes.size === 0) return
      if (state.ticks === 1) graph.zoomToFit(0, FIT_PADDING_PX)
      else if (state.ticks % FIT_EVERY_TICKS === 0) graph.zoomToFit(FIT_TWEEN_MS, FIT_PADDING_PX)
    })
    .onEngineStop(() => {
      if (state.autoFit && state.nodes.size > 0) graph.zoomToFit(FIT_TWEEN_MS, FIT_PADDING_PX)
    })

  graph.d3Force('target', targetForce())
  // Nodes a few ms apart in Vivaldi space would be drawn on top of each other, labels included.
  graph.d3Force(
    'collide',
    forceCollide<GraphNode>((n) => NODE_REL_SIZE * (n.model.isSelf ? 2.6 : 2)).strength(0.9),
  )
  const charge = graph.d3Force('charge')
  // Nodes with a target only need to stay apart; free nodes need room to find their place.
  charge?.strength?.((n: GraphNode) => (n.tx === undefined ? -45 : -8))
  charge?.distanceMax?.(400)
  const link = graph.d3Force('link')
  link?.distance?.((l: GraphLink) =>
    l.model.rttMs === null ? 40 : Math.min(150, 20 + l.model.rttMs * 0.5),
  )
  // Two placed ends: their distance is already the measured one, the link must not distort it.
  link?.strength?.((l: GraphLink) => (hasTarget(l.source) && hasTarget(l.target) ? 0 : 0.3))
}

/** Merges `model` into the graph by id, and reheats the layout only when something moved. */
function applyModel(graph: Graph, state: GraphState, model: MapModel): void {
  state.nowMs = model.nowMs
  const targets = scaleTargets(model.nodes, state)
  let structural = false
  let moved = false

  const ids = new Set<string>()
  for (const m of model.nodes) {
    ids.add(m.id)
    const target = targets.get(m.id)
    let node = state.nodes.get(m.id)
    if (node === undefined) {
      node = { id: m.id, model: m }
      state.nodes.set(m.id, node)
      structural = true
      if (target !== undefined) {
        // Start new nodes at their target (nudged so two equal targets still separate).
        const [jx, jy] = jitter(m.id)
        node.x = target.x + jx
        node.y = target.y + jy
      }
    }
    node.model = m
    if (target === undefined) {
      if (node.tx !== undefined) moved = true
      node.tx = node.ty = undefined
    } else {
      const dx = target.x - (node.tx ?? Infinity)
      const dy = target.y - (node.ty ?? Infinity)
      if (!(Math.hypot(dx, dy) < REHEAT_DISTANCE)) moved = true
      node.tx = target.x
      node.ty = target.y
    }
  }
  for (const id of state.nodes.keys()) {
    if (!ids.has(id)) {
      state.nodes.delete(id)
      structural = true
    }
  }

  const linkIds = new Set<string>()
  for (const m of model.links) {
    linkIds.add(m.id)
    let link = state.links.get(m.id)
    if (link === undefined) {
      link = { id: m.id, source: m.source, target: m.target, model: m, drawColor: '' }
      state.links.set(m.id, link)
      structural = true
    }
    link.model = m
    link.drawColor = withAlpha(m.color, 0.15 + 0.6 * m.opacity)
  }
  for (const id of state.links.keys()) {
    if (!linkIds.has(id)) {
      state.links.delete(id)
      structural = true
    }
  }

  // Free nodes appear next to a placed neighbour rather than at the origin.
  for (const node of state.nodes.values()) {
    if (node.x !== undefined) continue
    const anchor = node.model.neighbours
      .map((n) => state.nodes.get(n.peerId))
      .find((n) => n?.x !== undefined && n.y !== undefined)
    if (anchor?.x !== undefined && anchor.y !== undefined) {
      const [jx, jy] = jitter(node.id)
      node.x = anchor.x + jx * 8
      node.y = anchor.y + jy * 8
    }
  }

  // The centring force would fight the targets (they are centred already); keep it only when no
  // node is placed, so a mesh without coordinates still stays in view.
  const anyTarget = targets.size > 0
  if (anyTarget !== (graph.d3Force('center') === undefined || graph.d3Force('center') === null)) {
    graph.d3Force('center', anyTarget ? null : centreForce())
  }

  if (structural) {
    // Re-heats and re-initialises every force with the new node set.
    graph.graphData({ nodes: [...state.nodes.values()], links: [...state.links.values()] })
  } else if (moved) {
    // Per-node strengths are cached by d3 at initialisation; targets changed, so refresh them.
    const charge = graph.d3Force('charge')
    charge?.strength?.(charge.strength())
    const link = graph.d3Force('link')
    link?.strength?.(link.strength())
    graph.d3ReheatSimulation()
  } else {
    redraw(graph)
  }
  state.stats.nodes = state.nodes.size
  state.stats.links = state.links.size
}

/**
 * Maps projected milliseconds to graph units so the placed nodes spread over a disc whose area
 * grows with their number; the scale only changes when the spread changes a lot, so small
 * coordinate drift does not rescale (and shake) the whole map.
 */
function scaleTargets(nodes: MapNode[], state: GraphState): Map<string, { x: number; y: number }> {
  const placed = nodes.filter((n) => n.x !== null && n.y !== null)
  const targets = new Map<string, { x: number; y: number }>()
  if (placed.length === 0) return targets
  const spreadMs = Math.max(...placed.map((n) => Math.hypot(n.x!, n.y!)), 1)
  const wanted = (18 * Math.sqrt(placed.length) + 30) / spreadMs
  const ratio = state.scale === null ? Infinity : wanted / state.scale
  if (ratio > RESCALE_HYSTERESIS || ratio < 1 / RESCALE_HYSTERESIS) state.scale = wanted
  const scale = state.scale ?? wanted
  for (const n of placed) targets.set(n.id, { x: n.x! * scale, y: n.y! * scale })
  return targets
}

/** A d3 force pulling each node with a target toward it (like forceX + forceY, one pass). */
function targetForce(): ((alpha: number) => void) & { initialize: (nodes: GraphNode[]) => void } {
  let nodes: GraphNode[] = []
  const force = (alpha: number): void => {
    const k = TARGET_STRENGTH * alpha
    for (const n of nodes) {
      if (n.tx === undefined || n.ty === undefined || n.x === undefined || n.y === undefined)
        continue
      n.vx = (n.vx ?? 0) + (n.tx - n.x) * k
      n.vy = (n.vy ?? 0) + (n.ty - n.y) * k
    }
  }
  force.initialize = (all: GraphNode[]): void => {
    nodes = all
  }
  return force
}

/** A gentle centring force for meshes without coordinates (force-graph's default is removed). */
function centreForce(): ((alpha: number) => void) & { initialize: (nodes: GraphNode[]) => void } {
  let nodes: GraphNode[] = []
  const force = (): void => {
    if (nodes.length === 0) return
    let sx = 0
    let sy = 0
    for (const n of nodes) {
      sx += n.x ?? 0
      sy += n.y ?? 0
    }
    sx /= nodes.length
    sy /= nodes.length
    for (const n of nodes) {
      if (n.x !== undefined) n.x -= sx
      if (n.y !== undefined) n.y -= sy
    }
  }
  force.initialize = (all: GraphNode[]): void => {
    nodes = all
  }
  return force
}

function drawNode(
  node: GraphNode,
  ctx: CanvasRenderingContext2D,
  scale: number,
  state: GraphState,
): void {
  const m = node.model
  const x = node.x ?? 0
  const y = node.y ?? 0
  const r = NODE_REL_SIZE * (m.isSelf ? Math.sqrt(SELF_VAL) : 1)
  const hovered = state.hoverId === node.id
  const selected = state.selectedId === node.id
  ctx.globalAlpha = m.opacity

  ctx.beginPath()
  ctx.arc(x, y, r, 0, 2 * Math.PI)
  ctx.fillStyle = m.isSelf
    ? COLOR_SELF
    : m.capabilities?.platform === 'node'
      ? COLOR_SERVER
      : COLOR_BROWSER
  ctx.fill()

  // TrustChain verdict on a direct peer: a ring, dashed while the handshake runs.
  let ringR = r + 3 / scale
  if (m.trust !== null) {
    ctx.beginPath()
    ctx.arc(x, y, r + 2 / scale, 0, 2 * Math.PI)
    ctx.lineWidth = 1.5 / scale
    ctx.strokeStyle = TRUST_RING_COLORS[m.trust.state]
    ctx.setLineDash(m.trust.state === 'pending' ? [2 / scale, 2 / scale] : [])
    ctx.stroke()
    ctx.setLineDash([])
    ringR = r + 4.5 / scale
    if (m.trust.state !== 'pending' && scale >= BADGE_MIN_ZOOM)
      drawBadge(ctx, x, y, r, m.trust.state)
  }

  if (m.isSelf || selected || hovered) {
    ctx.beginPath()
    ctx.arc(x, y, ringR, 0, 2 * Math.PI)
    ctx.lineWidth = (selected ? 2 : 1.5) / scale
    ctx.strokeStyle = selected || hovered ? COLOR_SELECTED_RING : COLOR_SELF_RING
    ctx.stroke()
  }

  // Labels cost a text layout each; only draw them where they can be read or were asked for.
  if (m.isSelf || hovered || selected || scale >= LABEL_MIN_ZOOM) {
    const text = m.isSelf ? (hovered || selected ? `you · ${m.label}` : 'you') : m.label
    ctx.font = `${m.isSelf ? '600 ' : ''}${11 / scale}px ui-sans-serif, system-ui, sans-serif`
    ctx.textAlign = 'center'
    ctx.textBaseline = 'top'
    ctx.fillStyle = m.isSelf ? COLOR_SELF_RING : COLOR_LABEL
    ctx.fillText(text, x, y + r + 4 / scale)
  }
  ctx.globalAlpha = 1
}

/** A small ✓ (verified) or × (refused) badge at the node's upper right. */
function drawBadge(
  ctx: CanvasRenderingContext2D,
  x: number,
  y: number,
  r: number,
  state: 'verified' | 'refused',
): void {
  const bx = x + r * 0.9
  const by = y - r * 0.9
  const br = r * 0.6
  ctx.beginPath()
  ctx.arc(bx, by, br, 0, 2 * Math.PI)
  ctx.fillStyle = TRUST_RING_COLORS[state]
  ctx.fill()
  ctx.beginPath()
  if (state === 'verified') {
    ctx.moveTo(bx - br * 0.5, by)
    ctx.lineTo(bx - br * 0.1, by + br * 0.4)
    ctx.lineTo(bx + br * 0.5, by - br * 0.4)
  } else {
    ctx.moveTo(bx - br * 0.4, by - br * 0.4)
    ctx.lineTo(bx + br * 0.4, by + br * 0.4)
    ctx.moveTo(bx + br * 0.4, by - br * 0.4)
    ctx.lineTo(bx - br * 0.4, by + br * 0.4)
  }
  ctx.lineWidth = br * 0.35
  ctx.lineCap = 'round'
  ctx.strokeStyle = '#020617' // slate-950
  ctx.stroke()
  ctx.lineCap = 'butt'
}

/** Ask force-graph for one more frame (it pauses drawing while nothing changes). */
function redraw(graph: Graph): void {
  graph.nodeRelSize(NODE_REL_SIZE)
}

function isAttached(link: GraphLink, id: string | null): boolean {
  if (id === null) return false
  return endpointId(link.source) === id || endpointId(link.target) === id
}

function endpointId(end: GraphLink['source']): string | number | undefined {
  return typeof end === 'object' ? end.id : end
}

function hasTarget(end: GraphLink['source']): boolean {
  return typeof end === 'object' && end.tx !== undefined
}

/** A small, stable offset from the peer id, in [-1, 1]², so equal positions separate. */
function jitter(id: string): [number, number] {
  let h = 2166136261
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619)
  return [((h & 0xffff) / 0xffff) * 2 - 1, (((h >>> 16) & 0xffff) / 0xffff) * 2 - 1]
}

function withAlpha(hex: string, alpha: number): string {
  const v = parseInt(hex.slice(1), 16)
  return `rgba(${(v >> 16) & 0xff},${(v >> 8) & 0xff},${v & 0xff},${alpha.toFixed(3)})`
}

/** Tooltip HTML; every value from the network is escaped (heartbeats are untrusted input). */
function tooltipHtml(m: MapNode, nowMs: number): string {
  const seen = m.isSelf ? 'this tab' : `seen ${formatAgo(nowMs - m.lastSeen)}`
  const links = `${m.neighbours.length} link${m.neighbours.length === 1 ? '' : 's'}`
  const trust = m.trust === null ? '' : `<br>TrustChain: ${escapeHtml(trustText(m.trust))}`
  return `<b>${escapeHtml(m.isSelf ? `you · ${m.label}` : m.label)}</b><br>${escapeHtml(seen)} · ${links}${trust}`
}

/** One line on a direct peer's TrustChain handshake, e.g. "refused by you (chain)". */
function trustText(t: NonNullable<MapNode['trust']>): string {
  if (t.state === 'verified') return 'certificate verified'
  if (t.state === 'pending') return 'handshake in progress'
  const check = t.reason?.check === undefined ? '' : ` (${t.reason.check})`
  const gone = t.connected ? '' : ', disconnected'
  return t.refusedBy === 'peer'
    ? `refused this tab${check}${gone}`
    : `refused by this tab${check}${gone}`
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/**
 * "just now", "3 s ago", "2 min 5 s ago".
 */
function formatAgo(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 1) return 'just now'
  if (s < 60) return `${s} s ago`
  return `${Math.floor(s / 60)} min ${s % 60} s ago`
}

/** The side panel for the clicked node. */
function NodeDetails({
  node,
  nowMs,
  selfId,
  onClose,
  onSelect,
}: {
  node: MapNode
  nowMs: number
  selfId: string | null
  onClose: () => void
  onSelect: (id: string) => void
}): React.ReactNode {
  const caps = node.capabilities
  return (
    <aside
      data-testid="map-node-details"
      data-peer-id={node.id}
      className="absolute bottom-3 right-3 top-3 flex w-80 max-w-[calc(100%-1.5rem)] flex-col overflow-hidden rounded-xl border border-slate-800 bg-slate-900/95 text-sm shadow-2xl backdrop-blur"
    >
      <header className="flex items-start gap-2 border-b border-slate-800 px-4 py-3">
        <div className="min-w-0 flex-1">
          <p className="text-xs uppercase tracking-wide text-slate-500">
            {node.isSelf ? 'This tab (you)' : 'Peer'}
          </p>
          <p className="mt-0.5 break-all font-mono text-xs text-slate-200">{node.id}</p>
          <Link
            href={nodeRoute(node.id)}
            className="mt-1 inline-block text-xs text-emerald-300 hover:text-emerald-200 hover:underline"
            data-testid="map-node-explorer-link"
          >
            Assets and ledger records in the explorer →
          </Link>
        </div>
        <button
          type="button"
          onClick={onClose}
          aria-label="Close details"
          className="rounded-md px-2 py-0.5 text-slate-400 hover:bg-slate-800 hover:text-slate-100"
        >
          ×
        </button>
      </header>
      <div className="flex-1 space-y-4 overflow-y-auto px-4 py-3">
        <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1.5">
          <dt className="text-slate-500">Last seen</dt>
          <dd className="text-slate-200">
            {node.isSelf ? 'now (this tab)' : formatAgo(nowMs - node.lastSeen)}
          </dd>
          <dt className="text-slate-500">App version</dt>
          <dd className="font-mono text-xs leading-5 text-slate-200">
            {node.appVersion ?? 'unknown'}
          </dd>
          <dt className="text-slate-500">Platform</dt>
          <dd className="text-slate-200">{caps?.platform ?? 'unknown'}</dd>
          <dt className="text-slate-500">Cores</dt>
          <dd className="text-slate-200">{caps?.cores ?? 'unknown'}</dd>
          <dt className="text-slate-500">TrustChain</dt>
          <dd data-testid="map-node-trust" className="text-slate-200">
            <TrustDetails node={node} />
          </dd>
          <dt className="text-slate-500">Memory</dt>
          <dd className="text-slate-200">
            {caps?.memoryGiB == null ? 'unknown' : `${caps.memoryGiB} GiB`}
          </dd>
        </dl>

        <section>
          <h3 className="mb-1 text-xs uppercase tracking-wide text-slate-500">
            Vivaldi coordinate
          </h3>
          {node.coordinate === null ? (
            <p className="text-slate-400">None yet: placed by the layout.</p>
          ) : (
            <div className="space-y-1 font-mono text-xs text-slate-300">
              <p className="break-words">
                [{node.coordinate.vec.map((v) => v.toFixed(1)).join(', ')}] ms
              </p>
              <p>
                height {node.coordinate.height.toFixed(1)} ms · error{' '}
                {node.coordinate.error.toFixed(2)}
              </p>
            </div>
          )}
        </section>

        <section>
          <h3 className="mb-1 text-xs uppercase tracking-wide text-slate-500">
            Neighbours ({node.neighbours.length})
          </h3>
          {node.neighbours.length === 0 ? (
            <p className="text-slate-400">No links on the map.</p>
          ) : (
            <ul className="space-y-0.5">
              {node.neighbours.map((n) => (
                <li key={n.peerId}>
                  <button
                    type="button"
                    onClick={() => onSelect(n.peerId)}
                    className="flex w-full items-center gap-2 rounded px-1 py-0.5 text-left hover:bg-slate-800"
                  >
                    <span
                      className="inline-block h-2 w-2 shrink-0 rounded-full"
                      style={{ backgroundColor: rttColor(n.rttMs) }}
                    />
                    <span className="flex-1 font-mono text-xs text-slate-300">
                      {shortPeerId(n.peerId)}
                      {n.peerId === selfId && <span className="ml-1.5 text-emerald-300">you</span>}
                    </span>
                    <span className="tabular-nums text-xs text-slate-400">
                      {formatRtt(n.rttMs)}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </aside>
  )
}

/** The TrustChain line of the details panel: this tab's verdict on a direct peer, and why. */
function TrustDetails({ node }: { node: MapNode }): React.ReactNode {
  const t = node.trust
  if (node.isSelf) {
    return <span className="text-slate-400">this tab (see the Node page)</span>
  }
  if (t === null) {
    return <span className="text-slate-400">not a direct peer: not checked by this tab</span>
  }
  if (t.state === 'verified') {
    return (
      <span className="text-emerald-300">
        ✓ verified
        {t.logIndex !== null && (
          <>
            {' · '}
            <Link
              href={`/trustchain?index=${t.logIndex}`}
              className="underline hover:text-emerald-200"
            >
              certificate #{t.logIndex}
            </Link>
          </>
        )}
      </span>
    )
  }
  if (t.state === 'pending') return <span className="text-amber-300">handshake in progress…</span>
  return (
    <span className="text-rose-300">
      ✗ {t.refusedBy === 'peer' ? 'refused this tab' : 'refused by this tab'}
      {!t.connected && <span className="text-rose-300/70"> (link closed)</span>}
      {t.reason?.check !== undefined && (
        <span className="ml-1 rounded bg-rose-950 px-1 font-mono text-[11px]">
          {t.reason.check}
        </span>
      )}
      {t.reason !== null && (
        <span className="mt-0.5 block text-xs text-rose-200/80">{t.reason.message}</span>
      )}
    </span>
  )
}
