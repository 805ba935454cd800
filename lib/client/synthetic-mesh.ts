import type { ConnectionInfo, Coordinate, NodeInfo } from '@/lib/mesh/types'
import { VIVALDI_DIMENSIONS } from '@/lib/mesh/vivaldi'
import { seededRandom, type Random } from '@/lib/ports'
import {
  NODE_EXPIRY_MS,
  NODE_FADE_START_MS,
  SYNTHETIC_MAX_NODES,
  SYNTHETIC_NOW_MS,
} from './map-constants'
import type { MeshSnapshot } from './types'

/** Prefix of every synthetic peer id, so one can never pass for a real peer. */
export const SYNTHETIC_PEER_PREFIX = 'synthetic-'

const MIN_DEGREE = 4
const MAX_DEGREE = 8
const REGIONS = 5
/** Spread of the region centres and of the nodes around them, ms per dimension. */
const REGION_SPREAD_MS = 40
const NODE_SPREAD_MS = 6

/**
 * A seeded, made-up mesh of `n` nodes for the map's render test and bench ONLY — never to be shown
 * as the live network (the page that uses it says so in a banner). Nodes sit in a few "regions" of
 * the 8-D Vivaldi space, each links to its nearest peers plus one long hop (4–8 neighbours, both
 * sides reporting the RTT), and a few are fading (between NODE_FADE_START_MS and NODE_EXPIRY_MS) so the fade shows. Node 0 is self: it has
 * connections but no heartbeat of its own, as in a real tab. Everything is relative to
 * {@link SYNTHETIC_NOW_MS}; model it at that instant so nothing expires.
 *
 * @example
 * ```ts
 * const model = buildMapModel(syntheticSnapshot(200, 1), SYNTHETIC_NOW_MS)
 * ```
 * @throws {RangeError} if `n` is not an integer in [1, {@link SYNTHETIC_MAX_NODES}] or `seed` is
 *   not finite.
 */
export function syntheticSnapshot(n: number, seed: number): MeshSnapshot {
  if (!Number.isInteger(n) || n < 1 || n > SYNTHETIC_MAX_NODES) {
    throw new RangeError(
      `syntheticSnapshot: n must be an integer in [1, ${SYNTHETIC_MAX_NODES}], got ${n}`,
    )
  }
  if (!Number.isFinite(seed)) {
    throw new RangeError(`syntheticSnapshot: seed must be a finite number, got ${seed}`)
  }
  const random = seededRandom(seed)
  const now = SYNTHETIC_NOW_MS

  const centres = Array.from({ length: REGIONS }, () => gaussianVec(random, REGION_SPREAD_MS))
  const ids: string[] = []
  const coords: Coordinate[] = []
  for (let i = 0; i < n; i++) {
    const centre = centres[Math.floor(random.next() * REGIONS)]!
    const noise = gaussianVec(random, NODE_SPREAD_MS)
    ids.push(`${SYNTHETIC_PEER_PREFIX}${String(i).padStart(4, '0')}-${randomTag(random)}`)
    coords.push({
      vec: centre.map((c, d) => round1(c + noise[d]!)),
      height: round1(1 + random.next() * 9),
      error: round1(0.1 + random.next() * 0.4),
      adjustment: 0,
    })
  }

  // Nearest peers first (with one random long hop each), never above MAX_DEGREE on either side.
  const adjacency = ids.map(() => new Set<number>())
  const maxDegree = Math.min(MAX_DEGREE, n - 1)
  const link = (a: number, b: number): boolean => {
    if (a === b || adjacency[a]!.has(b)) return false
    if (adjacency[a]!.size >= maxDegree || adjacency[b]!.size >= maxDegree) return false
    adjacency[a]!.add(b)
    adjacency[b]!.add(a)
    return true
  }
  for (let i = 0; i < n; i++) {
    const want = Math.min(
      MIN_DEGREE + Math.floor(random.next() * (MAX_DEGREE - MIN_DEGREE + 1)),
      maxDegree,
    )
    if (n > 2) link(i, Math.floor(random.next() * n))
    const dist = coords.map((c) => rtt(coords[i]!, c))
    const byDistance = ids
      .map((_, j) => j)
      .filter((j) => j !== i)
      .sort((a, b) => dist[a]! - dist[b]! || a - b)
    for (const j of byDistance) {
      if (adjacency[i]!.size >= want) break
      link(i, j)
    }
  }

  // Each side measures the RTT with its own small error, as real pings do.
  const measured = (i: number, j: number): number =>
    round1(rtt(coords[i]!, coords[j]!) * (0.95 + random.next() * 0.1))

  const nodes: NodeInfo[] = []
  for (let i = 1; i < n; i++) {
    // About one node in six is fading (between the fade start and expiry), the rest are fresh.
    const fadeSpan = NODE_EXPIRY_MS - NODE_FADE_START_MS
    const ageMs =
      random.next() < 1 / 6
        ? NODE_FADE_START_MS + (0.1 + random.next() * 0.8) * fadeSpan
        : random.next() * NODE_FADE_START_MS
    nodes.push({
      peerId: ids[i]!,
      lastSeen: Math.round(now - ageMs),
      coordinate: coords[i]!,
      neighbours: [...adjacency[i]!]
        .sort((a, b) => a - b)
        .map((j) => ({ peerId: ids[j]!, rttMs: measured(i, j) })),
      capabilities: {
        cores: 2 + 2 * Math.floor(random.next() * 8),
        memoryGiB: [2, 4, 8, 16][Math.floor(random.next() * 4)] ?? 8,
        platform: random.next() < 0.1 ? 'node' : 'browser',
      },
      appVersion: '0.1.0-synthetic',
      seq: 1 + Math.floor(random.next() * 1000),
    })
  }

  const connections: ConnectionInfo[] = [...adjacency[0]!]
    .sort((a, b) => a - b)
    .map((j, k) => ({
      id: `synthetic-${k}`,
      peerId: ids[j]!,
      transport: 'webrtc',
      rttMs: measured(0, j),
      openedAt: Math.round(now - 60_000 - random.next() * 600_000),
      direction: k % 2 === 0 ? 'outbound' : 'inbound',
    }))

  return {
    peerId: ids[0]!,
    slot: null,
    status: 'direct',
    problem: null,
    nextRetryAt: null,
    relayConnected: true,
    relayPeerId: null,
    dials: { attempts: 0, succeeded: 0, failed: 0, medianMs: null, recentFailures: [] },
    connections,
    nodes,
    coordinate: coords[0]!,
    heartbeats: { accepted: nodes.length, dropped: {} },
    connectionsCreated: connections.length,
    startedAt: now - 120_000,
    joinMs: null,
    certificate: null,
    verdicts: {},
    refusals: [],
    trustProblem: null,
    checkpointSize: null,
    ledger: { status: 'off', publicKey: null, summary: null, recentRoots: [], problem: null },
  }
}

/** Predicted RTT between two coordinates: Euclidean distance plus both heights, ms. */
function rtt(a: Coordinate, b: Coordinate): number {
  let sq = 0
  for (let d = 0; d < VIVALDI_DIMENSIONS; d++) {
    const diff = (a.vec[d] ?? 0) - (b.vec[d] ?? 0)
    sq += diff * diff
  }
  return Math.sqrt(sq) + a.height + b.height
}

function gaussianVec(random: Random, sigma: number): number[] {
  return Array.from({ length: VIVALDI_DIMENSIONS }, () => gaussian(random) * sigma)
}

/** Box–Muller; `1 - next()` keeps the logarithm away from 0. */
function gaussian(random: Random): number {
  const u = 1 - random.next()
  const v = random.next()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}

function randomTag(random: Random): string {
  return Math.floor(random.next() * 36 ** 6)
    .toString(36)
    .padStart(6, '0')
}

function round1(x: number): number {
  return Math.round(x * 10) / 10
}
