/**
 * The Leaky Integrate-and-Fire neuron in closed form (DESIGN.md §6).
 *
 * Membrane equation, with constant input current I between events:
 *
 *   τ dV/dt = −(V − E_L) + R·I
 *
 * whose exact solution over Δt is `V(t+Δt) = E_L + R·I + (V(t) − E_L − R·I)·e^(−Δt/τ)`. Nothing
 * here ticks a clock: the potential is advanced exactly between events, and the time at which it
 * would reach the threshold θ is solved for directly:
 *
 *   θ = E_L + R·I + (V₀ − E_L − R·I)·e^(−t/τ)  ⇔  t* = τ·ln((R·I − (V₀ − E_L)) / (R·I − (θ − E_L)))
 *
 * defined when R·I > θ − E_L (the steady state E_L + R·I lies above θ); otherwise V never reaches
 * θ and t* = ∞. If V₀ ≥ θ already, t* = 0.
 *
 * Why a race of first spikes is argmax when nothing else differs (the "no spiking" baseline): take
 * equal V₀ < θ and equal θ for every neuron, and write a = θ − V₀ > 0, m = R·I − (θ − E_L). For a
 * neuron that can fire (m > 0), t* = τ·ln(1 + a/m), whose derivative in I is
 * −τ·R·a / (m·(m + a)) < 0: the spike time strictly decreases as the current grows. A neuron that
 * cannot fire (m ≤ 0, t* = ∞) has a smaller current than any neuron that can (its m is smaller).
 * So the earliest spike belongs to the largest current, ties in current are ties in time, and
 * `firstToSpike` without noise is exactly argmax of the inputs (up to the rounding of t*: currents
 * a few ulps apart may tie). When nobody can fire, the fallback picks the largest margin m, which
 * with equal thresholds is again the largest current. What the spiking model adds on top of argmax
 * therefore lives entirely in what makes neurons differ — noise, reset and refractory state,
 * adaptive thresholds — and lif.test.ts checks the equivalence as a property.
 */
import type { Random } from '../ports'

/** The constants of one LIF neuron. */
export interface LifParams {
  /** Membrane time constant τ, ms (> 0). */
  readonly tauMs: number
  /** Resting (leak reversal) potential E_L. */
  readonly restingPotential: number
  /** Membrane resistance R (> 0): the potential a unit current holds above rest. */
  readonly resistance: number
}

/**
 * The exact LIF update: the potential `dtMs` after being `v`, under constant `current`.
 *
 * @example lifUpdate(0, 2, 20, { tauMs: 20, restingPotential: 0, resistance: 1 }) // 2·(1 − 1/e)
 */
export function lifUpdate(v: number, current: number, dtMs: number, p: LifParams): number {
  const steady = p.restingPotential + p.resistance * current
  return steady + (v - steady) * Math.exp(-dtMs / p.tauMs)
}

/**
 * Time, ms, for the potential to climb from `v0` to `threshold` under constant `current`, in
 * closed form: `τ·ln((R·I − (V₀ − E_L)) / (R·I − (θ − E_L)))`; 0 when `v0 ≥ threshold`; `Infinity`
 * when `R·I ≤ θ − E_L` (the potential settles below the threshold).
 */
export function firstSpikeTime(
  v0: number,
  current: number,
  threshold: number,
  p: LifParams,
): number {
  if (v0 >= threshold) return 0
  const drive = p.resistance * current
  const gapAtThreshold = drive - (threshold - p.restingPotential)
  if (gapAtThreshold <= 0) return Infinity
  return p.tauMs * Math.log((drive - (v0 - p.restingPotential)) / gapAtThreshold)
}

/** The result of one race, written into a caller-owned object (no allocation per decision). */
export interface RaceResult {
  /** Index of the winner; −1 when no neuron was eligible. */
  winner: number
  /** The winner's spike time, ms after the race began; `Infinity` when it won by the fallback. */
  winnerTime: number
  /** Index of the second earliest spike (or second largest margin); −1 if none. */
  runnerUp: number
  /** The runner-up's spike time (`Infinity` when it would never fire). */
  runnerUpTime: number
  /** True when no eligible neuron could reach its threshold and the margin fallback chose. */
  fallback: boolean
}

/** A fresh `RaceResult` to reuse across races. */
export function newRaceResult(): RaceResult {
  return { winner: -1, winnerTime: Infinity, runnerUp: -1, runnerUpTime: Infinity, fallback: false }
}

/**
 * Winner-take-all race among `n` neurons under constant currents: the earliest first spike wins.
 *
 * - Neurons with `eligible[i] === 0` (refractory) take no part.
 * - Exact ties go to a uniformly random one of the tied neurons when `random` is given (reservoir
 *   sampling: one draw per extra tie, none without ties), to the lowest index otherwise.
 * - When no eligible neuron can reach its threshold, a common excitatory drive is imagined rising
 *   until one can: the first to cross is the one with the largest margin R·Iᵢ − (θᵢ − E_L), and it
 *   wins with `fallback = true`. (A router always has to answer.)
 *
 * The race is evaluated at the moment of the decision; the spike times say how long it would
 * take, they do not delay the answer.
 */
export function firstToSpike(
  n: number,
  currents: Float64Array,
  potentials: Float64Array,
  thresholds: Float64Array,
  eligible: Uint8Array | null,
  p: LifParams,
  random: Random | null,
  out: RaceResult,
): RaceResult {
  let best = -1
  let bestTime = Infinity
  let second = -1
  let secondTime = Infinity
  let ties = 0
  let anyEligible = false
  for (let i = 0; i < n; i++) {
    if (eligible !== null && eligible[i] === 0) continue
    anyEligible = true
    const t = firstSpikeTime(potentials[i]!, currents[i]!, thresholds[i]!, p)
    if (t === Infinity) continue
    if (t < bestTime) {
      second = best
      secondTime = bestTime
      best = i
      bestTime = t
      ties = 1
    } else if (t === bestTime) {
      ties++
      if (random !== null && random.next() * ties < 1) {
        second = best
        secondTime = bestTime
        best = i
      } else {
        second = i
        secondTime = t
      }
    } else if (t < secondTime) {
      second = i
      secondTime = t
    }
  }
  if (best >= 0 || !anyEligible) {
    if (best >= 0 && second < 0) {
      // Runner-up among the neurons that never fire: the largest margin, for the UI only.
      second = largestMargin(n, currents, thresholds, eligible, p, null, best)
    }
    out.winner = best
    out.winnerTime = bestTime
    out.runnerUp = second
    out.runnerUpTime = secondTime
    out.fallback = false
    return out
  }
  const winner = largestMargin(n, currents, thresholds, eligible, p, random, -1)
  out.winner = winner
  out.winnerTime = Infinity
  out.runnerUp = largestMargin(n, currents, thresholds, eligible, p, null, winner)
  out.runnerUpTime = Infinity
  out.fallback = true
  return out
}

/** Eligible index with the largest R·I − (θ − E_L), skipping `skip`; random among exact ties. */
function largestMargin(
  n: number,
  currents: Float64Array,
  thresholds: Float64Array,
  eligible: Uint8Array | null,
  p: LifParams,
  random: Random | null,
  skip: number,
): number {
  let best = -1
  let bestMargin = -Infinity
  let ties = 0
  for (let i = 0; i < n; i++) {
    if (i === skip || (eligible !== null && eligible[i] === 0)) continue
    const margin = p.resistance * currents[i]! - (thresholds[i]! - p.restingPotential)
    if (margin > bestMargin || best < 0) {
      best = i
      bestMargin = margin
      ties = 1
    } else if (margin === bestMargin) {
      ties++
      if (random !== null && random.next() * ties < 1) best = i
    }
  }
  return best
}
