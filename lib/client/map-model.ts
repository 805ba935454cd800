import type { CapabilitySummary, Coordinate } from '@/lib/mesh/types'
import { isValidCoordinate, project2d } from '@/lib/mesh/vivaldi'
import {
  NODE_EXPIRY_MS,
  NODE_FADE_START_MS,
  PEER_ID_LABEL_CHARS,
  RTT_BAD_COLOR,
  RTT_BAD_MS,
  RTT_FAIR_COLOR,
  RTT_FAIR_MS,
  RTT_GOOD_COLOR,
  RTT_GOOD_MS,
  RTT_UNKNOWN_COLOR,
  MIN_PROJECTION_ASPECT,
  MIN_PROJECTION_SPAN_MS,
} from './map-constants'
import { trustByPeer, type PeerTrustView } from './trustchain-view'
import type { MeshSnapshot } from './types'

/**
 * A peer this node refused (or that refused it) keeps its refused mark this long after the
 * refusal, in ms, though the link closed at once.
 */
export const REFUSAL_MARK_MS = 10 * 60_000

/** A neighbour of a map node, with the RTT of the link between them. */
export interface MapNeighbour {
  peerId: string
  /** Mean of both sides' reports, ms; null when neither side measured it. */
  rttMs: number | null
}

/** One node drawn on the map. */
export interface MapNode {
  /** The full peer id. */
  id: string
  /** Short form of the peer id for labels (`…` and its last characters). */
  label: string
  /** True for this tab's own node. */
  isSelf: boolean
  /**
   * Target position from the 2-D projection of the Vivaldi coordinates, in ms, centred on the
   * mean of the projected nodes; null when the node has no coordinate (the force layout places it).
   */
  x: number | null
  y: number | null
  /** 1 until {@link NODE_FADE_START_MS} after the last heartbeat, then linearly down to 0. */
  opacity: number
  /** ms since epoch of the last heartbeat (the model's `nowMs` for self). */
  lastSeen: number
  /** The raw Vivaldi coordinate, for the details panel. */
  coordinate: Coordinate | null
  capabilities: CapabilitySummary | null
  /** App version from the node's heartbeat; null for self before its own heartbeat is known. */
  appVersion: string | null
  /** The nodes this one has a link to on the map, lowest RTT first (unknown RTTs last). */
  neighbours: MapNeighbour[]
  /**
   * This node's TrustChain handshake with the peer (verified, pending or refused, and why);
   * null for self and for nodes that are neither direct peers nor refused in the last
   * {@link REFUSAL_MARK_MS}.
   */
  trust: PeerTrustView | null
}

/** One undirected link drawn on the map. */
export interface MapLink {
  /** `a|b` with a < b: the key used for deduplication and by the tests (`data-link`). */
  id: string
  /** The lower peer id of the two. */
  source: string
  /** The higher peer id of the two. */
  target: string
  /** Mean of both sides' reports, ms; null when neither side measured it. */
  rttMs: number | null
  /** CSS colour from {@link rttColor}. */
  color: string
  /** The lower of the two endpoints' opacities, so a link fades with its nodes. */
  opacity: number
}

/** Headline figures of the map. */
export interface MapStats {
  nodeCount: number
  linkCount: number
  /** Median RTT of the links with a known RTT, ms; null when there is none. */
  medianRttMs: number | null
}

/** Everything the map draws, built from one snapshot at one instant. */
export interface MapModel {
  /** The instant the model was built for, ms since epoch (ages and "seen … ago" use it). */
  nowMs: number
  /** This node's peer id, or null before the node has started. */
  selfId: string | null
  /** Self first, then by peer id. */
  nodes: MapNode[]
  /** Sorted by id. */
  links: MapLink[]
  stats: MapStats
}

/** What the map component exposes as `window.__hypermeshMapStats` for e2e tests and the bench. */
export interface MapRenderStats {
  /** Nodes in the force graph's data. */
  nodes: number
  /** Links in the force graph's data. */
  links: number
  /** Canvas frames force-graph has rendered since the map mounted. */
  frames: number
}

/** A model with nothing in it, e.g. before the node has started. */
export const EMPTY_MAP_MODEL: MapModel = {
  nowMs: 0,
  selfId: null,
  nodes: [],
  links: [],
  stats: { nodeCount: 0, linkCount: 0, medianRttMs: null },
}

/**
 * Builds what the map shows from a snapshot: the nodes heard from in the last
 * {@link NODE_EXPIRY_MS} (plus self, always), their target positions from the Vivaldi projection,
 * their opacity, and the undirected links reported by either side.
 *
 * Pure: the same snapshot and `nowMs` give the same model, so the page can re-model every second
 * to make nodes fade without a new snapshot.
 *
 * @example
 * ```ts
 * const model = buildMapModel(meshStore.getSnapshot(), Date.now())
 * model.stats.medianRttMs // e.g. 42
 * ```
 * @throws {RangeError} if `nowMs` is not a finite number.
 */
export function buildMapModel(snapshot: MeshSnapshot, nowMs: number): MapModel {
  if (!Number.isFinite(nowMs)) {
    throw new RangeError(`buildMapModel: nowMs must be a finite number, got ${nowMs}`)
  }
  const selfId = snapshot.peerId

  // Nodes: the latest heartbeat per peer (a snapshot should hold one, but keep the newest if not).
  const heard = new Map<string, MeshSnapshot['nodes'][number]>()
  for (const info of snapshot.nodes) {
    const prev = heard.get(info.peerId)
    if (prev === undefined || info.lastSeen > prev.lastSeen) heard.set(info.peerId, info)
  }

  interface Draft {
    id: string
    isSelf: boolean
    opacity: number
    lastSeen: number
    coordinate: Coordinate | null
    capabilities: CapabilitySummary | null
    appVersion: string | null
  }
  const drafts = new Map<string, Draft>()
  for (const info of heard.values()) {
    if (info.peerId === selfId) continue
    const age = nowMs - info.lastSeen
    if (age > NODE_EXPIRY_MS) continue
    drafts.set(info.peerId, {
      id: info.peerId,
      isSelf: false,
      opacity: nodeOpacity(age),
      lastSeen: info.lastSeen,
      coordinate: validOrNull(info.coordinate),
      capabilities: info.capabilities,
      appVersion: info.appVersion,
    })
  }
  if (selfId !== null) {
    // Self is alive by definition: it is drawn even if no heartbeat of its own has come back.
    const own = heard.get(selfId)
    drafts.set(selfId, {
      id: selfId,
      isSelf: true,
      opacity: 1,
      lastSeen: nowMs,
      coordinate: validOrNull(snapshot.coordinate) ?? validOrNull(own?.coordinate ?? null),
      capabilities: own?.capabilities ?? null,
      appVersion: own?.appVersion ?? null,
    })
  }

  // Directed reports "from → to: rtt". Self's live connections come after self's own heartbeat,
  // so a measured RTT on a connection wins.
  const reports = new Map<string, Map<string, number | null>>()
  const report = (from: string, to: string, rttMs: number | null): void => {
    if (from === to) return
    let row = reports.get(from)
    if (row === undefined) reports.set(from, (row = new Map()))
    const rtt = validRtt(rttMs)
    // Two entries for the same neighbour: keep a measured RTT over an unknown one.
    if (!row.has(to) || rtt !== null) row.set(to, rtt)
  }
  for (const info of heard.values()) {
    if (info.peerId === selfId) continue
    for (const n of info.neighbours) report(info.peerId, n.peerId, n.rttMs)
  }
  if (selfId !== null) {
    const own = heard.get(selfId)
    if (own !== undefined) for (const n of own.neighbours) report(selfId, n.peerId, n.rttMs)
    for (const c of snapshot.connections) report(selfId, c.peerId, c.rttMs)
  }

  const links: MapLink[] = []
  const seen = new Set<string>()
  for (const [from, row] of reports) {
    for (const to of row.keys()) {
      const id = linkKey(from, to)
      if (seen.has(id)) continue
      seen.add(id)
      const a = drafts.get(from)
      const b = drafts.get(to)
      if (a === undefined || b === undefined) continue
      const sides = [reports.get(from)?.get(to), reports.get(to)?.get(from)].filter(
        (v): v is number => typeof v === 'number',
      )
      const rttMs = sides.length === 0 ? null : sides.reduce((s, v) => s + v, 0) / sides.length
      const [source, target] = from < to ? [from, to] : [to, from]
      links.push({
        id,
        source,
        target,
        rttMs,
        color: rttColor(rttMs),
        opacity: Math.min(a.opacity, b.opacity),
      })
    }
  }
  links.sort((l, r) => compare(l.id, r.id))

  const neighbours = new Map<string, MapNeighbour[]>()
  const addNeighbour = (id: string, n: MapNeighbour): void => {
    const list = neighbours.get(id)
    if (list === undefined) neighbours.set(id, [n])
    else list.push(n)
  }
  for (const l of links) {
    addNeighbour(l.source, { peerId: l.target, rttMs: l.rttMs })
    addNeighbour(l.target, { peerId: l.source, rttMs: l.rttMs })
  }

  const ordered = [...drafts.values()].sort((l, r) =>
    l.isSelf !== r.isSelf ? (l.isSelf ? -1 : 1) : compare(l.id, r.id),
  )
  const placed = ordered.filter((d) => d.coordinate !== null)
  const points = project2d(placed.map((d) => d.coordinate as Coordinate))
  // project2d centres on the mean except with fewer than two points; centre here so both agree.
  const cx = points.reduce((s, p) => s + p.x, 0) / Math.max(points.length, 1)
  const cy = points.reduce((s, p) => s + p.y, 0) / Math.max(points.length, 1)
  const position = new Map<string, { x: number; y: number }>()
  if (projectionIsInformative(points)) {
    placed.forEach((d, i) => {
      const p = points[i]
      if (p !== undefined && Number.isFinite(p.x) && Number.isFinite(p.y)) {
        position.set(d.id, { x: p.x - cx, y: p.y - cy })
      }
    })
  }

  const trust = trustByPeer(snapshot, nowMs - REFUSAL_MARK_MS)
  const nodes: MapNode[] = ordered.map((d) => ({
    id: d.id,
    label: shortPeerId(d.id),
    isSelf: d.isSelf,
    x: position.get(d.id)?.x ?? null,
    y: position.get(d.id)?.y ?? null,
    opacity: d.opacity,
    lastSeen: d.lastSeen,
    coordinate: d.coordinate,
    capabilities: d.capabilities,
    appVersion: d.appVersion,
    neighbours: (neighbours.get(d.id) ?? []).sort(byRtt),
    trust: d.isSelf ? null : (trust.get(d.id) ?? null),
  }))

  return {
    nowMs,
    selfId,
    nodes,
    links,
    stats: {
      nodeCount: nodes.length,
      linkCount: links.length,
      medianRttMs: median(links.flatMap((l) => (l.rttMs === null ? [] : [l.rttMs]))),
    },
  }
}

/**
 * Whether projected Vivaldi positions are worth drawing. Coordinates carry no picture when the
 * nodes sit within a few ms of each other (one machine, one LAN: the layout would be noise), or
 * when they lie on a line (every link would be drawn on top of the others). Then the map falls
 * back to force layout for all nodes.
 */
export function projectionIsInformative(points: readonly { x: number; y: number }[]): boolean {
  if (points.length < 3) return false
  const xs = points.map((p) => p.x)
  const ys = points.map((p) => p.y)
  const spanX = Math.max(...xs) - Math.min(...xs)
  const spanY = Math.max(...ys) - Math.min(...ys)
  const major = Math.max(spanX, spanY)
  const minor = Math.min(spanX, spanY)
  return major >= MIN_PROJECTION_SPAN_MS && minor >= MIN_PROJECTION_ASPECT * major
}

/**
 * Opacity of a node whose last heartbeat is `ageMs` old: 1 up to {@link NODE_FADE_START_MS},
 * then linear down to 0 at {@link NODE_EXPIRY_MS} (and 0 beyond). A negative age (a clock that
 * stepped back) counts as fresh.
 *
 * @example
 * ```ts
 * nodeOpacity(20_000) // 0.5
 * ```
 */
export function nodeOpacity(ageMs: number): number {
  if (Number.isNaN(ageMs)) return 0
  if (ageMs <= NODE_FADE_START_MS) return 1
  if (ageMs >= NODE_EXPIRY_MS) return 0
  return (NODE_EXPIRY_MS - ageMs) / (NODE_EXPIRY_MS - NODE_FADE_START_MS)
}

/**
 * Link colour for an RTT: green up to {@link RTT_GOOD_MS}, blending to yellow at
 * {@link RTT_FAIR_MS}, then to red at {@link RTT_BAD_MS} and above; grey when unknown.
 * Returns a `#rrggbb` string.
 *
 * @example
 * ```ts
 * rttColor(10) // '#22c55e'
 * rttColor(null) // '#64748b'
 * ```
 */
export function rttColor(rttMs: number | null): string {
  if (rttMs === null || !Number.isFinite(rttMs) || rttMs < 0) return RTT_UNKNOWN_COLOR
  if (rttMs <= RTT_GOOD_MS) return RTT_GOOD_COLOR
  if (rttMs < RTT_FAIR_MS) {
    return mixHex(
      RTT_GOOD_COLOR,
      RTT_FAIR_COLOR,
      (rttMs - RTT_GOOD_MS) / (RTT_FAIR_MS - RTT_GOOD_MS),
    )
  }
  if (rttMs < RTT_BAD_MS) {
    return mixHex(RTT_FAIR_COLOR, RTT_BAD_COLOR, (rttMs - RTT_FAIR_MS) / (RTT_BAD_MS - RTT_FAIR_MS))
  }
  return RTT_BAD_COLOR
}

/**
 * Median of `values` (mean of the two middle values for an even count); null when empty.
 *
 * @example
 * ```ts
 * median([30, 10, 20, 40]) // 25
 * ```
 */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/**
 * Short form of a peer id for labels: `…` and its last {@link PEER_ID_LABEL_CHARS} characters
 * (the start of an Ed25519 peer id, `12D3KooW`, is the same for every peer).
 *
 * @example
 * ```ts
 * shortPeerId('12D3KooWQ2y6X9mZ7xYb') // '…mZ7xYb'
 * ```
 */
export function shortPeerId(peerId: string): string {
  return peerId.length <= PEER_ID_LABEL_CHARS + 1
    ? peerId
    : `…${peerId.slice(-PEER_ID_LABEL_CHARS)}`
}

/** The undirected key of the link between `a` and `b`: `lower|higher`. */
export function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`
}

function validOrNull(c: Coordinate | null): Coordinate | null {
  return c !== null && isValidCoordinate(c) ? c : null
}

function validRtt(rttMs: number | null): number | null {
  // A hostile heartbeat could carry anything; such a report counts as "not measured".
  return typeof rttMs === 'number' && Number.isFinite(rttMs) && rttMs >= 0 ? rttMs : null
}

function byRtt(a: MapNeighbour, b: MapNeighbour): number {
  if (a.rttMs === null || b.rttMs === null) {
    return a.rttMs === b.rttMs ? compare(a.peerId, b.peerId) : a.rttMs === null ? 1 : -1
  }
  return a.rttMs - b.rttMs || compare(a.peerId, b.peerId)
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function mixHex(from: string, to: string, t: number): string {
  const a = parseInt(from.slice(1), 16)
  const b = parseInt(to.slice(1), 16)
  const channel = (shift: number): number => {
    const x = (a >> shift) & 0xff
    const y = (b >> shift) & 0xff
    return Math.round(x + (y - x) * t)
  }
  const rgb = (channel(16) << 16) | (channel(8) << 8) | channel(0)
  return `#${rgb.toString(16).padStart(6, '0')}`
}
