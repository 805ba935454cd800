/**
 * Server speed over time. A profile is piecewise constant; the simulator walks its segments with
 * one event per breakpoint and re-plans the job in service at each (remaining work at the new
 * speed, exactly). Breakpoints are computed from the segment number, never by adding periods up,
 * so a long run does not drift.
 */
import type { Random } from '../../ports'
import { QueueingConfigError } from './errors'

/**
 * How a server's base speed (work units per ms) varies in time. Job-class affinity and cold
 * starts multiply it (see `QueueingConfig`).
 */
export type SpeedProfile =
  /** Always `speed`. */
  | { readonly kind: 'constant'; readonly speed: number }
  /**
   * A throttled background tab: `speed × factor` during the first `duty` fraction of every period,
   * `speed` for the rest. Periods start at `phaseMs + k·periodMs` (k ∈ ℤ); `phaseMs` in
   * [0, periodMs), drawn uniformly per seed when omitted.
   */
  | {
      readonly kind: 'periodic'
      readonly speed: number
      readonly factor: number
      readonly periodMs: number
      readonly duty: number
      readonly phaseMs?: number
    }
  /**
   * Alternates between `low` and `high`, switching at `phaseMs + k·periodMs`. `phaseMs` in
   * [0, periodMs) and `startHigh` (the speed at time 0) are drawn per seed when omitted.
   */
  | {
      readonly kind: 'flip'
      readonly low: number
      readonly high: number
      readonly periodMs: number
      readonly phaseMs?: number
      readonly startHigh?: boolean
    }
  /** `speed`, except `speed × factor` in [fromMs, toMs). */
  | {
      readonly kind: 'transient'
      readonly speed: number
      readonly factor: number
      readonly fromMs: number
      readonly toMs: number
    }
  /** `before` until `atMs`, then `after` (fast and slow servers trading roles). */
  | {
      readonly kind: 'swap'
      readonly before: number
      readonly after: number
      readonly atMs: number
    }

/**
 * Long-run mean speed of a profile: what the arrival rate is computed from. Transient slowdowns
 * and swaps are events, not part of the long run: their speed before the event counts.
 */
export function meanSpeed(profile: SpeedProfile): number {
  switch (profile.kind) {
    case 'constant':
      return profile.speed
    case 'periodic':
      return profile.speed * (1 - profile.duty + profile.duty * profile.factor)
    case 'flip':
      return (profile.low + profile.high) / 2
    case 'transient':
      return profile.speed
    case 'swap':
      return profile.before
  }
}

/**
 * The speed a peer advertises (`CandidateView.capacity`): what a benchmark at join would show.
 * A throttled tab advertises its unthrottled speed, a flipping peer its mean, a swapping peer its
 * speed before the swap: advertised capacity can be wrong, as in the mesh.
 */
export function advertisedSpeed(profile: SpeedProfile): number {
  switch (profile.kind) {
    case 'constant':
      return profile.speed
    case 'periodic':
      return profile.speed
    case 'flip':
      return (profile.low + profile.high) / 2
    case 'transient':
      return profile.speed
    case 'swap':
      return profile.before
  }
}

const positive = (x: number): boolean => Number.isFinite(x) && x > 0
const nonNegative = (x: number): boolean => Number.isFinite(x) && x >= 0

/** Throws `QueueingConfigError` unless `profile` is valid (every speed finite and positive). */
export function checkSpeedProfile(profile: SpeedProfile, where: string): void {
  const fail = (why: string): never => {
    throw new QueueingConfigError(`runQueueing: ${where}: ${why}`)
  }
  if (typeof profile !== 'object' || profile === null) fail('must be an object')
  switch (profile.kind) {
    case 'constant':
      if (!positive(profile.speed)) fail('speed must be a positive number')
      return
    case 'periodic':
      if (!positive(profile.speed) || !positive(profile.factor)) {
        fail('speed and factor must be positive numbers')
      }
      if (!positive(profile.periodMs)) fail('periodMs must be a positive number')
      if (!(profile.duty > 0 && profile.duty < 1)) fail('duty must be in (0, 1)')
      if (profile.phaseMs !== undefined) {
        if (!(nonNegative(profile.phaseMs) && profile.phaseMs < profile.periodMs)) {
          fail('phaseMs must be in [0, periodMs)')
        }
      }
      return
    case 'flip':
      if (!positive(profile.low) || !positive(profile.high)) {
        fail('low and high must be positive numbers')
      }
      if (!positive(profile.periodMs)) fail('periodMs must be a positive number')
      if (profile.phaseMs !== undefined) {
        if (!(nonNegative(profile.phaseMs) && profile.phaseMs < profile.periodMs)) {
          fail('phaseMs must be in [0, periodMs)')
        }
      }
      return
    case 'transient':
      if (!positive(profile.speed) || !positive(profile.factor)) {
        fail('speed and factor must be positive numbers')
      }
      if (!(nonNegative(profile.fromMs) && profile.toMs > profile.fromMs)) {
        fail('need 0 <= fromMs < toMs')
      }
      if (!Number.isFinite(profile.toMs)) fail('toMs must be finite')
      return
    case 'swap':
      if (!positive(profile.before) || !positive(profile.after)) {
        fail('before and after must be positive numbers')
      }
      if (!nonNegative(profile.atMs)) fail('atMs must be a non-negative number')
      return
    default:
      fail(`unknown kind "${(profile as { kind: unknown }).kind as string}"`)
  }
}

const NEG_INF = Number.NEGATIVE_INFINITY
const POS_INF = Number.POSITIVE_INFINITY

/**
 * One server's speed profile as numbered segments: segment k covers [start(k), start(k + 1)).
 * Random parts (phases) are fixed at construction from the seed's stream.
 */
export class SpeedTimeline {
  private readonly phase: number
  /** Segment number that contains time 0 in a flip profile, with its speed. */
  private readonly flipK0: number
  private readonly flipHighAtK0: boolean

  /**
   * @param profile - a valid profile (`checkSpeedProfile`)
   * @param random - draws the phase and start state when the profile leaves them open
   */
  constructor(
    readonly profile: SpeedProfile,
    random: Random,
  ) {
    let phase = 0
    let k0 = 0
    let high = false
    if (profile.kind === 'periodic') {
      phase = profile.phaseMs ?? random.next() * profile.periodMs
    } else if (profile.kind === 'flip') {
      phase = profile.phaseMs ?? random.next() * profile.periodMs
      high = profile.startHigh ?? random.next() < 0.5
      k0 = phase > 0 ? 0 : 1
    }
    this.phase = phase
    this.flipK0 = k0
    this.flipHighAtK0 = high
  }

  /** Start time of segment k (k ≥ 0); −∞ for a segment open to the past, +∞ past the last. */
  start(k: number): number {
    const p = this.profile
    switch (p.kind) {
      case 'constant':
        return k === 0 ? NEG_INF : POS_INF
      case 'periodic': {
        // Even k: throttled window of period ⌊k/2⌋ − 1 (so segment 0 starts at or before 0).
        const base = this.phase - p.periodMs + Math.floor(k / 2) * p.periodMs
        return k % 2 === 0 ? base : base + p.duty * p.periodMs
      }
      case 'flip':
        return this.phase - p.periodMs + k * p.periodMs
      case 'transient':
        return k === 0 ? NEG_INF : k === 1 ? p.fromMs : k === 2 ? p.toMs : POS_INF
      case 'swap':
        return k === 0 ? NEG_INF : k === 1 ? p.atMs : POS_INF
    }
  }

  /** Base speed during segment k. */
  speed(k: number): number {
    const p = this.profile
    switch (p.kind) {
      case 'constant':
        return p.speed
      case 'periodic':
        return k % 2 === 0 ? p.speed * p.factor : p.speed
      case 'flip':
        return (Math.abs(k - this.flipK0) % 2 === 0) === this.flipHighAtK0 ? p.high : p.low
      case 'transient':
        return k === 1 ? p.speed * p.factor : p.speed
      case 'swap':
        return k === 0 ? p.before : p.after
    }
  }

  /** The segment that contains time `t` (searching forward from segment 0). */
  segmentAt(t: number): number {
    let k = 0
    while (this.start(k + 1) <= t) k++
    return k
  }
}
