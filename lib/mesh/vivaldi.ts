/**
 * Vivaldi network coordinates, following HashiCorp Serf's `coordinate` package (Dabek et al. 2004
 * with the height vector, the adjustment term of Lee et al. 2010 and the gravity and latency
 * filter of Ledlie et al. 2007).
 *
 * Units: Serf works in seconds; everything here is in MILLISECONDS. Each Serf constant that carries
 * a unit is converted where it is declared below. Pure: no clock, no Math.random. The only
 * randomness (a direction when two coordinates coincide) comes from the {@link Random} port.
 */

import type { Random } from '../ports'
import type { Coordinate } from './types'

/** Number of Euclidean dimensions (Serf `Dimensionality`). */
export const VIVALDI_DIMENSIONS = 8
/** Initial and maximum local error estimate, dimensionless (Serf `VivaldiErrorMax`). */
export const VIVALDI_ERROR_MAX = 1.5
/** Upper bound on how much one sample moves the error estimate (Serf `VivaldiCE`). */
export const VIVALDI_CE = 0.25
/** Upper bound on how far one sample moves the coordinate (Serf `VivaldiCC`). */
export const VIVALDI_CC = 0.25
/** Samples in the rolling window behind the adjustment term (Serf `AdjustmentWindowSize`). */
export const VIVALDI_ADJUSTMENT_WINDOW_SIZE = 20
/** Minimum height in ms. Serf: 10e-6 s = 0.01 ms. */
export const VIVALDI_HEIGHT_MIN_MS = 0.01
/** RTT samples kept per peer for the moving median (Serf `LatencyFilterSize`). */
export const VIVALDI_LATENCY_FILTER_SIZE = 3
/** Gravity scale in ms. Serf: 150 s = 150 000 ms. */
export const VIVALDI_GRAVITY_RHO_MS = 150_000
/** Largest RTT accepted in ms. Serf refuses samples above 10 s. */
export const VIVALDI_MAX_RTT_MS = 10_000
/**
 * Largest magnitude accepted for any vec component, height or adjustment, in ms (≈ 17 minutes).
 * Not in Serf: it bounds what a peer can make us compute with, and real RTTs never come close.
 */
export const VIVALDI_MAX_COMPONENT_MS = 1e6

/**
 * Below this distance (ms) two coordinates count as the same point, and RTTs below it are raised
 * to it. Serf: 1e-6 s = 1e-3 ms.
 */
const ZERO_THRESHOLD_MS = 1e-3

/** Milliseconds per second, for the one Serf formula that hides a unit (gravity). */
const MS_PER_SECOND = 1000

/** A round-trip time was refused (not finite, negative, or above {@link VIVALDI_MAX_RTT_MS}). */
export class InvalidRttError extends Error {
  override readonly name = 'InvalidRttError'
}

/** A coordinate was refused: wrong dimensionality, a non-finite or out-of-range field. */
export class InvalidCoordinateError extends Error {
  override readonly name = 'InvalidCoordinateError'
}

/** A {@link VivaldiInit} option is out of range. */
export class InvalidVivaldiConfigError extends Error {
  override readonly name = 'InvalidVivaldiConfigError'
}

/**
 * Tuning for {@link VivaldiClient}. Every field is optional; defaults are Serf's `DefaultConfig`
 * converted to milliseconds. The dimensionality is fixed at {@link VIVALDI_DIMENSIONS} because the
 * wire format ({@link isValidCoordinate}) requires it.
 */
export interface VivaldiInit {
  /** Initial and maximum error, in (0, 1.5]. Default {@link VIVALDI_ERROR_MAX}. */
  errorMax?: number
  /** Error gain, in (0, 1]. Default {@link VIVALDI_CE}. */
  ce?: number
  /** Coordinate gain, in (0, 1]. Default {@link VIVALDI_CC}. */
  cc?: number
  /** Adjustment window, integer ≥ 0; 0 disables the adjustment. Default 20. */
  adjustmentWindowSize?: number
  /** Minimum height in ms, in [0, 1000]. Default {@link VIVALDI_HEIGHT_MIN_MS}. */
  heightMinMs?: number
  /** Median filter length, integer ≥ 1. Default {@link VIVALDI_LATENCY_FILTER_SIZE}. */
  latencyFilterSize?: number
  /** Gravity scale in ms, > 0. Default {@link VIVALDI_GRAVITY_RHO_MS}. */
  gravityRhoMs?: number
}

/** The ports {@link VivaldiClient} depends on. */
export interface VivaldiComponents {
  /** Used only to pick a direction when two coordinates are at the same point. */
  random: Random
}

type VivaldiConfig = Required<VivaldiInit>

/**
 * A fresh coordinate: at the origin, maximum error, minimum height, no adjustment.
 *
 * @example
 * ```ts
 * const c = newCoordinate() // { vec: [0,0,0,0,0,0,0,0], height: 0.01, error: 1.5, adjustment: 0 }
 * ```
 */
export function newCoordinate(
  init: Pick<VivaldiInit, 'errorMax' | 'heightMinMs'> = {},
): Coordinate {
  return {
    vec: new Array<number>(VIVALDI_DIMENSIONS).fill(0),
    height: init.heightMinMs ?? VIVALDI_HEIGHT_MIN_MS,
    error: init.errorMax ?? VIVALDI_ERROR_MAX,
    adjustment: 0,
  }
}

/**
 * Checks a value decoded from the network (a heartbeat) before it reaches the Vivaldi maths:
 * exactly 8 finite vec components, a finite height ≥ 0, a finite error in [0, 1.5], a finite
 * adjustment, all magnitudes ≤ {@link VIVALDI_MAX_COMPONENT_MS}. Never throws.
 *
 * @example
 * ```ts
 * if (!isValidCoordinate(decoded.coordinate)) return // drop the heartbeat's coordinate
 * ```
 */
export function isValidCoordinate(x: unknown): x is Coordinate {
  // A hostile object (a Proxy, a throwing getter) must not take the decoder down with it.
  try {
    if (typeof x !== 'object' || x === null) return false
    const c = x as Record<string, unknown>
    const vec = c.vec
    if (!Array.isArray(vec) || vec.length !== VIVALDI_DIMENSIONS) return false
    for (let i = 0; i < VIVALDI_DIMENSIONS; i++) {
      if (!isBounded(vec[i])) return false
    }
    const { height, error, adjustment } = c
    return (
      isBounded(height) &&
      height >= 0 &&
      typeof error === 'number' &&
      error >= 0 &&
      error <= VIVALDI_ERROR_MAX &&
      isBounded(adjustment)
    )
  } catch {
    return false
  }
}

function isBounded(v: unknown): v is number {
  // NaN fails the comparison, ±Infinity exceeds the bound: no separate isFinite needed.
  return typeof v === 'number' && Math.abs(v) <= VIVALDI_MAX_COMPONENT_MS
}

/**
 * Estimated RTT in ms between two coordinates, as Serf's `DistanceTo`: Euclidean distance of the
 * vecs plus both heights, plus both adjustments only when that sum stays positive (a negative
 * adjustment may never produce a negative estimate).
 *
 * @throws {InvalidCoordinateError} if the two vecs have different lengths.
 * @example
 * ```ts
 * distanceMs(alice.coordinate, bob.coordinate) // ≈ the RTT alice would measure to bob
 * ```
 */
export function distanceMs(a: Coordinate, b: Coordinate): number {
  if (a.vec.length !== b.vec.length) {
    throw new InvalidCoordinateError(
      `distanceMs: dimensionality mismatch (${a.vec.length} vs ${b.vec.length})`,
    )
  }
  const raw = rawDistanceMs(a, b)
  // Pairwise sums first: IEEE addition of two terms commutes, so the result is exactly symmetric.
  const adjusted = raw + (a.adjustment + b.adjustment)
  return adjusted > 0 ? adjusted : raw
}

/** Distance without the adjustment terms (Serf `rawDistanceTo`). Lengths already checked. */
function rawDistanceMs(a: Coordinate, b: Coordinate): number {
  return magnitude(a.vec, b.vec) + (a.height + b.height)
}

/** |a − b|, or |a| when b is omitted. */
function magnitude(a: readonly number[], b?: readonly number[]): number {
  let sum = 0
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b?.[i] ?? 0)
    sum += d * d
  }
  return Math.sqrt(sum)
}

function cloneCoordinate(c: Coordinate): Coordinate {
  return { vec: c.vec.slice(), height: c.height, error: c.error, adjustment: c.adjustment }
}

/**
 * Per-peer moving median over the last `size` RTT samples (Serf's latency filter): one late pong
 * does not throw a coordinate around, while a real change shows after two samples.
 * For an even number of samples the upper median is returned, as Serf does.
 *
 * @example
 * ```ts
 * const f = new LatencyFilter()
 * f.push('bob', 10); f.push('bob', 200); f.push('bob', 12) // → 12
 * ```
 */
export class LatencyFilter {
  private readonly samples = new Map<string, number[]>()
  private readonly size: number

  /** @param size - samples kept per peer, integer ≥ 1 (default 3). */
  constructor(size: number = VIVALDI_LATENCY_FILTER_SIZE) {
    if (!Number.isInteger(size) || size < 1) {
      throw new InvalidVivaldiConfigError(`LatencyFilter: size must be an integer ≥ 1, got ${size}`)
    }
    this.size = size
  }

  /**
   * Records a sample for `peerId` and returns the median of its last `size` samples (ms).
   *
   * @throws {InvalidRttError} if `rttMs` is not finite, negative or above 10 s; nothing is recorded.
   */
  push(peerId: string, rttMs: number): number {
    assertRtt('LatencyFilter.push', rttMs)
    const window = this.samples.get(peerId) ?? []
    window.push(rttMs)
    if (window.length > this.size) window.shift()
    this.samples.set(peerId, window)
    const sorted = window.slice().sort((a, b) => a - b)
    return sorted[Math.floor(sorted.length / 2)] ?? rttMs
  }

  /** Drops every sample kept for `peerId` (call when the peer leaves). */
  forget(peerId: string): void {
    this.samples.delete(peerId)
  }
}

function assertRtt(where: string, rttMs: number): void {
  // Serf refuses negatives and anything over 10 s; a zero RTT is accepted (coarse clocks) and
  // raised to the zero threshold inside the update.
  if (typeof rttMs !== 'number' || !Number.isFinite(rttMs) || rttMs < 0) {
    throw new InvalidRttError(`${where}: rtt must be a finite number ≥ 0 ms, got ${rttMs}`)
  }
  if (rttMs > VIVALDI_MAX_RTT_MS) {
    throw new InvalidRttError(`${where}: rtt ${rttMs} ms is above ${VIVALDI_MAX_RTT_MS} ms`)
  }
}

function resolveConfig(init: VivaldiInit): VivaldiConfig {
  const config: VivaldiConfig = {
    errorMax: init.errorMax ?? VIVALDI_ERROR_MAX,
    ce: init.ce ?? VIVALDI_CE,
    cc: init.cc ?? VIVALDI_CC,
    adjustmentWindowSize: init.adjustmentWindowSize ?? VIVALDI_ADJUSTMENT_WINDOW_SIZE,
    heightMinMs: init.heightMinMs ?? VIVALDI_HEIGHT_MIN_MS,
    latencyFilterSize: init.latencyFilterSize ?? VIVALDI_LATENCY_FILTER_SIZE,
    gravityRhoMs: init.gravityRhoMs ?? VIVALDI_GRAVITY_RHO_MS,
  }
  const inRange = (v: number, lo: number, hi: number, loOpen: boolean): boolean =>
    Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && v <= hi
  // The bounds keep every coordinate this client produces acceptable to isValidCoordinate.
  const problems: string[] = []
  if (!inRange(config.errorMax, 0, VIVALDI_ERROR_MAX, true)) problems.push('errorMax in (0, 1.5]')
  if (!inRange(config.ce, 0, 1, true)) problems.push('ce in (0, 1]')
  if (!inRange(config.cc, 0, 1, true)) problems.push('cc in (0, 1]')
  if (!Number.isInteger(config.adjustmentWindowSize) || config.adjustmentWindowSize < 0) {
    problems.push('adjustmentWindowSize an integer ≥ 0')
  }
  if (!inRange(config.heightMinMs, 0, 1000, false)) problems.push('heightMinMs in [0, 1000]')
  if (!Number.isInteger(config.latencyFilterSize) || config.latencyFilterSize < 1) {
    problems.push('latencyFilterSize an integer ≥ 1')
  }
  if (!inRange(config.gravityRhoMs, 0, Number.MAX_VALUE, true)) problems.push('gravityRhoMs > 0')
  if (problems.length > 0) {
    throw new InvalidVivaldiConfigError(`VivaldiClient: expected ${problems.join(', ')}`)
  }
  return config
}

/**
 * This node's Vivaldi coordinate, refined by every RTT sample to a peer whose coordinate is known
 * (Serf `coordinate.Client`). One update = latency filter → Vivaldi spring step with the
 * error-weighted timestep → adjustment window → gravity toward the origin → reset if the result is
 * no longer a valid coordinate.
 *
 * @example
 * ```ts
 * const vivaldi = new VivaldiClient({ random: seededRandom(1) })
 * vivaldi.update('bob', bobCoordinate, 42.5)
 * distanceMs(vivaldi.coordinate, carolCoordinate) // estimated RTT to carol, never pinged
 * ```
 */
export class VivaldiClient {
  private readonly random: Random
  private readonly config: VivaldiConfig
  private readonly filter: LatencyFilter
  private readonly origin: Coordinate
  private readonly adjustmentSamples: number[]
  private adjustmentIndex = 0
  private coord: Coordinate
  private resetCount = 0

  /**
   * @throws {InvalidVivaldiConfigError} if an `init` option is out of range.
   */
  constructor(components: VivaldiComponents, init: VivaldiInit = {}) {
    this.random = components.random
    this.config = resolveConfig(init)
    this.filter = new LatencyFilter(this.config.latencyFilterSize)
    this.coord = newCoordinate(this.config)
    this.origin = newCoordinate(this.config)
    this.adjustmentSamples = new Array<number>(this.config.adjustmentWindowSize).fill(0)
  }

  /** A copy of the current coordinate. */
  get coordinate(): Coordinate {
    return cloneCoordinate(this.coord)
  }

  /** How many times the coordinate was reset because an update made it invalid (Serf `Resets`). */
  get resets(): number {
    return this.resetCount
  }

  /**
   * Feeds one RTT sample to `peerId`, whose advertised coordinate is `remote`, and returns a copy of
   * the new local coordinate.
   *
   * @throws {InvalidCoordinateError} if `remote` fails {@link isValidCoordinate}.
   * @throws {InvalidRttError} if `rttMs` is not finite, negative or above 10 s.
   * Both are checked before anything changes: a refused sample leaves the client untouched.
   */
  update(peerId: string, remote: Coordinate, rttMs: number): Coordinate {
    // Serf only checks finiteness and dimensionality; the remote comes off the network, so the
    // stricter wire check (error range, magnitude bound) is used here too.
    if (!isValidCoordinate(remote)) {
      throw new InvalidCoordinateError(`VivaldiClient.update: invalid coordinate from ${peerId}`)
    }
    assertRtt('VivaldiClient.update', rttMs)

    const filtered = this.filter.push(peerId, rttMs)
    this.updateVivaldi(remote, filtered)
    this.updateAdjustment(remote, filtered)
    this.updateGravity()
    // Serf resets on a non-finite coordinate; resetting on anything the wire check would refuse is
    // a superset, and guarantees peers accept whatever we advertise.
    if (!isValidCoordinate(this.coord)) {
      this.resetCount++
      this.coord = newCoordinate(this.config)
    }
    return this.coordinate
  }

  /** Drops the latency samples kept for `peerId` (Serf `ForgetNode`). */
  forget(peerId: string): void {
    this.filter.forget(peerId)
  }

  private updateVivaldi(remote: Coordinate, rttMs: number): void {
    const { ce, cc, errorMax } = this.config
    const dist = distanceMs(this.coord, remote)
    const rtt = Math.max(rttMs, ZERO_THRESHOLD_MS)
    const wrongness = Math.abs(dist - rtt) / rtt

    // Sample weight: trust the sample more when we are less sure than the remote is.
    const totalError = Math.max(this.coord.error + remote.error, ZERO_THRESHOLD_MS)
    const weight = this.coord.error / totalError

    const error = ce * weight * wrongness + this.coord.error * (1 - ce * weight)
    this.coord.error = Math.min(error, errorMax)

    const force = cc * weight * (rtt - dist)
    this.coord = this.applyForce(this.coord, force, remote)
  }

  private updateAdjustment(remote: Coordinate, rttMs: number): void {
    const size = this.config.adjustmentWindowSize
    if (size === 0) return
    // The adjustment terms themselves are left out of the residual, as Serf does.
    this.adjustmentSamples[this.adjustmentIndex] = rttMs - rawDistanceMs(this.coord, remote)
    this.adjustmentIndex = (this.adjustmentIndex + 1) % size
    let sum = 0
    for (const s of this.adjustmentSamples) sum += s
    this.coord.adjustment = sum / (2 * size)
  }

  private updateGravity(): void {
    // Serf: force = −(d/ρ)² with d, ρ and the force in seconds, i.e. −(d/ρ)² × 1 s. The ratio is
    // unit-free, so in milliseconds the force is −(d/ρ)² × 1000 ms: the same physical pull.
    const ratio = distanceMs(this.origin, this.coord) / this.config.gravityRhoMs
    const force = -ratio * ratio * MS_PER_SECOND
    this.coord = this.applyForce(this.coord, force, this.origin)
  }

  /**
   * Moves `c` by `force` ms along the unit vector from `other` to `c` (positive pushes away), and
   * scales the height by the same relative amount, never below the minimum (Serf `ApplyForce`).
   */
  private applyForce(c: Coordinate, force: number, other: Coordinate): Coordinate {
    const { unit, mag } = this.unitVectorAt(c.vec, other.vec)
    const next = cloneCoordinate(c)
    for (let i = 0; i < next.vec.length; i++)
      next.vec[i] = (next.vec[i] ?? 0) + (unit[i] ?? 0) * force
    if (mag > ZERO_THRESHOLD_MS) {
      const height = ((c.height + other.height) * force) / mag + c.height
      next.height = Math.max(height, this.config.heightMinMs)
    }
    return next
  }

  /**
   * Unit vector pointing from `to` at `from`, and the distance between them. When they coincide
   * the direction is random (from the Random port) and the distance reported is 0, as in Serf.
   */
  private unitVectorAt(
    from: readonly number[],
    to: readonly number[],
  ): { unit: number[]; mag: number } {
    const diff = from.map((v, i) => v - (to[i] ?? 0))
    const mag = magnitude(diff)
    if (mag > ZERO_THRESHOLD_MS) return { unit: diff.map((v) => v / mag), mag }

    const rand = diff.map(() => this.random.next() - 0.5)
    const randMag = magnitude(rand)
    // This threshold is on a unit-free random vector, so it stays Serf's 1e-6.
    if (randMag > 1e-6) return { unit: rand.map((v) => v / randMag), mag: 0 }

    const axis = new Array<number>(from.length).fill(0)
    axis[0] = 1
    return { unit: axis, mag: 0 }
  }
}

/** A point of the 2-D map projection. */
export interface Point2d {
  x: number
  y: number
}

/**
 * Projects the 8-D vec parts of `coords` onto a plane for the live map (heights and adjustments are
 * not shown). Uses PCA: the two principal axes of the centred vecs, found by power iteration on
 * the 8×8 covariance matrix, so the map keeps the directions in which peers differ most. Output is
 * centred on the mean and in ms along each axis.
 *
 * Deterministic, so the map does not jump between frames: the power iteration starts from the
 * covariance column of largest norm (never orthogonal to the dominant axis unless it is zero), runs a
 * fixed number of steps, and each axis's sign is chosen so its largest-magnitude entry (lowest
 * index on ties) is positive.
 *
 * With fewer than two coordinates, or when all vecs coincide, it returns `vec[0]` and `vec[1]`
 * as they are.
 *
 * @example
 * ```ts
 * const points = project2d(nodes.map((n) => n.coordinate)) // same order as the input
 * ```
 */
export function project2d(coords: readonly Coordinate[]): Point2d[] {
  const raw = (): Point2d[] => coords.map((c) => ({ x: c.vec[0] ?? 0, y: c.vec[1] ?? 0 }))
  if (coords.length < 2) return raw()
  const dims = coords.reduce((m, c) => Math.max(m, c.vec.length), 0)
  if (dims < 2) return raw()

  const n = coords.length
  const mean = new Array<number>(dims).fill(0)
  for (const c of coords) for (let i = 0; i < dims; i++) mean[i]! += (c.vec[i] ?? 0) / n
  const centred = coords.map((c) => mean.map((m, i) => (c.vec[i] ?? 0) - m))

  const cov: number[][] = mean.map(() => new Array<number>(dims).fill(0))
  for (const p of centred) {
    for (let i = 0; i < dims; i++) {
      for (let j = 0; j < dims; j++) cov[i]![j]! += (p[i]! * p[j]!) / n
    }
  }
  const trace = cov.reduce((s, row, i) => s + row[i]!, 0)
  // Every vec the same (or only rounding noise apart): there is no axis to find.
  if (!(trace > 1e-12)) return raw()

  const first = dominantAxis(cov, trace)
  const lambda1 = rayleigh(cov, first)
  const deflated = cov.map((row, i) => row.map((v, j) => v - lambda1 * first[i]! * first[j]!))
  const second = dominantAxis(deflated, trace, first)

  return centred.map((p) => ({ x: dot(p, first), y: dot(p, second) }))
}

const POWER_ITERATIONS = 200

/**
 * Unit eigenvector of the largest eigenvalue of the symmetric PSD matrix `m`, by power iteration,
 * kept orthogonal to `against` if given. `scale` (the trace) tells a zero matrix from a small one.
 */
function dominantAxis(m: number[][], scale: number, against?: number[]): number[] {
  const dims = m.length
  let v = m.reduce((best, col) => (normSq(col) > normSq(best) ? col : best), m[0]!).slice()
  if (against) v = orthogonalise(v, against)
  if (!(Math.sqrt(normSq(v)) > 1e-9 * scale)) {
    // Nothing left along any axis (all points on a line): any unit vector ⟂ `against` will do; use
    // the basis vector least aligned with it, so the choice is deterministic.
    let k = 0
    for (let i = 1; i < dims; i++)
      if (Math.abs(against?.[i] ?? 0) < Math.abs(against?.[k] ?? 0)) k = i
    v = new Array<number>(dims).fill(0)
    v[k] = 1
    if (against) v = orthogonalise(v, against)
    return fixSign(normalise(v))
  }
  v = normalise(v)
  for (let step = 0; step < POWER_ITERATIONS; step++) {
    let w = m.map((row) => dot(row, v))
    if (against) w = orthogonalise(w, against)
    if (!(Math.sqrt(normSq(w)) > 1e-12 * scale)) break
    const next = normalise(w)
    // The covariance is positive semi-definite, so the iterate never flips sign between steps.
    const delta = next.reduce((s, x, i) => s + Math.abs(x - v[i]!), 0)
    v = next
    if (delta < 1e-13) break
  }
  return fixSign(v)
}

function rayleigh(m: number[][], v: number[]): number {
  return dot(
    v,
    m.map((row) => dot(row, v)),
  )
}

function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * (b[i] ?? 0)
  return s
}

function normSq(v: readonly number[]): number {
  return dot(v, v)
}

function normalise(v: number[]): number[] {
  const len = Math.sqrt(normSq(v))
  return v.map((x) => x / len)
}

function orthogonalise(v: number[], against: readonly number[]): number[] {
  const k = dot(v, against)
  return v.map((x, i) => x - k * against[i]!)
}

function fixSign(v: number[]): number[] {
  let k = 0
  for (let i = 1; i < v.length; i++) if (Math.abs(v[i]!) > Math.abs(v[k]!)) k = i
  return v[k]! < 0 ? v.map((x) => -x) : v
}
