/**
 * The simulated network: per-link latency from a topology, jitter, loss, duplication, reordering,
 * an optional uplink bandwidth per host, and partitions as any split of the hosts into groups.
 *
 * Without the reorder fault every link is FIFO (a message never overtakes an earlier one on the
 * same link, as on the libp2p streams the mesh uses), even with jitter. A reordered message gets
 * an extra random delay and is exempt from FIFO, so later messages overtake it; a duplicate
 * travels independently. Partitions are checked when a message is sent and again when it arrives:
 * nothing crosses a partition while it stands, even what was in flight when it began.
 */
import {
  DEFAULT_JITTER_MS,
  DEFAULT_REORDER_MS,
  PLANE_MIN_LATENCY_MS,
  PLANE_SPAN_LATENCY_MS,
} from './constants'
import type { SimRandom } from './random'
import type { HostId, NodeInfo } from './types'

/** Conditions of a link (or of every link). Probabilities in [0, 1], times in ms. */
export interface LinkConditions {
  /** Probability that a message is lost. */
  loss: number
  /** Probability that a message is delivered twice. */
  duplicate: number
  /** Probability that a message gets up to `reorderMs` extra delay and escapes FIFO order. */
  reorder: number
  /** Extra delay bound of a reordered message (and of a duplicate). */
  reorderMs: number
  /** Uniform extra delay in [0, jitterMs) added to every message. */
  jitterMs: number
  /** Uplink of each host in bits per second (messages queue behind each other); 0 = unlimited. */
  bandwidthBps: number
}

/** Network conditions without faults. */
export const DEFAULT_CONDITIONS: Readonly<LinkConditions> = {
  loss: 0,
  duplicate: 0,
  reorder: 0,
  reorderMs: DEFAULT_REORDER_MS,
  jitterMs: DEFAULT_JITTER_MS,
  bandwidthBps: 0,
}

/** Base one-way latency between hosts. */
export interface Topology {
  /** One-way latency from `from` to `to` in ms (before jitter); `>= 0`. */
  latencyMs(from: HostId, to: HostId): number
}

/** Options of `planeTopology`. */
export interface PlaneTopologyInit {
  /** Latency between two hosts at the same point, ms (default 5). */
  minMs?: number
  /** Latency added per unit of distance across the unit square, ms (default 80). */
  spanMs?: number
}

/**
 * Hosts at uniformly random points of the unit square; latency grows with distance (minMs at
 * distance 0, minMs + spanMs·√2 at opposite corners). Positions come from `random`, so they are
 * part of the seed.
 */
export function planeTopology(
  hosts: readonly NodeInfo[],
  random: SimRandom,
  init: PlaneTopologyInit = {},
): Topology & { readonly positions: readonly (readonly [number, number])[] } {
  const minMs = init.minMs ?? PLANE_MIN_LATENCY_MS
  const spanMs = init.spanMs ?? PLANE_SPAN_LATENCY_MS
  const positions = hosts.map(() => [random.next(), random.next()] as const)
  return {
    positions,
    latencyMs(from, to) {
      const a = positions[from]
      const b = positions[to]
      if (a === undefined || b === undefined)
        throw new RangeError(`planeTopology: no host ${from}/${to}`)
      return minMs + Math.hypot(a[0] - b[0], a[1] - b[1]) * spanMs
    },
  }
}

/**
 * Latency from a matrix indexed by NodeId (`matrix[from][to]`, ms), e.g. measured RTT / 2 between
 * regions. Twins take the row of their identity.
 */
export function matrixTopology(
  matrix: readonly (readonly number[])[],
): (hosts: readonly NodeInfo[]) => Topology {
  return (hosts) => ({
    latencyMs(from, to) {
      const a = hosts[from]
      const b = hosts[to]
      const ms = a === undefined || b === undefined ? undefined : matrix[a.node]?.[b.node]
      if (ms === undefined) throw new RangeError(`matrixTopology: no latency for ${from}->${to}`)
      return ms
    },
  })
}

/** Why `route` refused a message. */
export const ROUTE_OK = 0
export const ROUTE_LOST = 1
export const ROUTE_PARTITIONED = 2

/** FIFO bookkeeping: a dense table while it fits in 32 MB, a map beyond. */
const DENSE_LINKS_LIMIT = 1 << 22

/**
 * The state of the network during a run. Deterministic given its random stream and the order of
 * calls; the engine calls `route` once per (message, destination host).
 */
export class NetworkModel {
  private conditions: LinkConditions
  private readonly overrides = new Map<number, Partial<LinkConditions>>()
  private readonly merged = new Map<number, LinkConditions>()
  private readonly latency: Float64Array
  private readonly group: Int32Array
  private readonly uplinkFree: Float64Array
  private readonly lastDense: Float64Array | null
  private readonly lastSparse: Map<number, number> | null
  private partitioned = false

  /**
   * @param hostCount - number of hosts
   * @param topology - base latencies (read once for every pair)
   * @param base - conditions without faults
   * @param random - the run's `network` stream
   */
  constructor(
    readonly hostCount: number,
    topology: Topology,
    readonly base: Readonly<LinkConditions>,
    private readonly random: SimRandom,
  ) {
    this.conditions = { ...base }
    this.latency = new Float64Array(hostCount * hostCount)
    for (let a = 0; a < hostCount; a++) {
      for (let b = 0; b < hostCount; b++) {
        const ms = a === b ? 0 : topology.latencyMs(a, b)
        if (!(ms >= 0) || !Number.isFinite(ms))
          throw new RangeError(`bad latency ${a}->${b}: ${ms}`)
        this.latency[a * hostCount + b] = ms
      }
    }
    this.group = new Int32Array(hostCount)
    this.uplinkFree = new Float64Array(hostCount)
    const dense = hostCount * hostCount <= DENSE_LINKS_LIMIT
    this.lastDense = dense ? new Float64Array(hostCount * hostCount) : null
    this.lastSparse = dense ? null : new Map()
  }

  /** The global conditions now. */
  get current(): Readonly<LinkConditions> {
    return this.conditions
  }

  /** Changes some of the global conditions (per-link overrides keep their own fields). */
  setConditions(change: Partial<LinkConditions>): void {
    this.conditions = { ...this.conditions, ...change }
    this.merged.clear()
    for (const [k, o] of this.overrides) this.merged.set(k, { ...this.conditions, ...o })
  }

  /** Overrides conditions of the one-way link `from → to`; `null` removes the override. */
  setLink(from: HostId, to: HostId, change: Partial<LinkConditions> | null): void {
    const k = from * this.hostCount + to
    if (change === null) {
      this.overrides.delete(k)
      this.merged.delete(k)
    } else {
      this.overrides.set(k, change)
      this.merged.set(k, { ...this.conditions, ...change })
    }
  }

  /**
   * Splits the hosts into `groups`; hosts in no group form one more group together. Messages
   * only flow within a group.
   */
  partition(groups: readonly (readonly HostId[])[]): void {
    this.group.fill(groups.length)
    groups.forEach((g, i) => {
      for (const h of g) this.group[h] = i
    })
    this.partitioned = groups.length > 0
  }

  /** Removes every partition. */
  healPartition(): void {
    this.group.fill(0)
    this.partitioned = false
  }

  /** Back to the base conditions, no partition, no per-link override. */
  healAll(): void {
    this.healPartition()
    this.overrides.clear()
    this.merged.clear()
    this.conditions = { ...this.base }
  }

  /** Whether `a` and `b` are on the same side of every partition. */
  connected(a: HostId, b: HostId): boolean {
    return !this.partitioned || this.group[a] === this.group[b]
  }

  /** The group of each host (all 0 without a partition); a copy. */
  groups(): number[] {
    return Array.from(this.group)
  }

  /**
   * Routes one message of `size` bytes sent at `now`. On success pushes one arrival time (two for
   * a duplicate) into `arrivals` (which it clears first) and returns ROUTE_OK.
   */
  route(from: HostId, to: HostId, size: number, now: number, arrivals: number[]): number {
    arrivals.length = 0
    if (this.partitioned && this.group[from] !== this.group[to]) return ROUTE_PARTITIONED
    const link = from * this.hostCount + to
    const c = this.merged.size === 0 ? this.conditions : (this.merged.get(link) ?? this.conditions)
    const random = this.random
    if (c.loss > 0 && random.chance(c.loss)) return ROUTE_LOST
    let departure = now
    if (c.bandwidthBps > 0) {
      departure = Math.max(now, this.uplinkFree[from] as number) + (size * 8000) / c.bandwidthBps
      this.uplinkFree[from] = departure
    }
    const latency = this.latency[link] as number
    let arrival = departure + latency + (c.jitterMs > 0 ? random.next() * c.jitterMs : 0)
    if (c.reorder > 0 && random.chance(c.reorder)) {
      arrival += random.next() * c.reorderMs
    } else {
      const last =
        this.lastDense !== null
          ? (this.lastDense[link] as number)
          : (this.lastSparse?.get(link) ?? 0)
      if (arrival < last) arrival = last
      if (this.lastDense !== null) this.lastDense[link] = arrival
      else this.lastSparse?.set(link, arrival)
    }
    arrivals.push(arrival)
    if (c.duplicate > 0 && random.chance(c.duplicate)) {
      arrivals.push(
        departure +
          latency +
          (c.jitterMs > 0 ? random.next() * c.jitterMs : 0) +
          random.next() * c.reorderMs,
      )
    }
    return ROUTE_OK
  }
}
