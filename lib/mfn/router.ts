/**
 * The MFN router (DESIGN.md §6): one Leaky Integrate-and-Fire neuron per candidate, the first to
 * spike gets the job.
 *
 * One decision, at time `now`:
 *
 * 1. Each candidate's features for this job are computed and centred (features.ts).
 * 2. Its neuron's input current is `I = bias + Σₖ wₖ·fₖ (+ σ·ξ, ξ ~ N(0, 1) when noise is on)`.
 * 3. Its potential and threshold are brought to `now` in closed form: between decisions a neuron
 *    receives no current, so V relaxes to E_L with τ (after staying clamped at V_reset until its
 *    refractory period ends); its threshold is θ₀ + a·e^(−Δt/τ_θ).
 * 4. The race: each eligible (non-refractory) neuron's first-spike time under I is solved in closed
 *    form and the earliest wins (lif.ts `firstToSpike`; exact ties go to a random one; if no neuron
 *    can reach its threshold the largest margin wins; if every neuron is refractory, the one whose
 *    refractory period ends first).
 * 5. Lateral inhibition, winner-take-all: the winner's spike resets every other eligible neuron to
 *    `E_L + (1 − κ)·(V(t*) − E_L)`, V(t*) being where it had got to when the winner fired and κ the
 *    `lateralInhibition` (default 1: a full reset to rest, so a race never leaves charge behind).
 *    Refractory neurons took no part and keep their state. The winner: V := V_reset, refractory
 *    until now + t_ref, adaptation a := a + Δθ·(1 − a/a_max) (a bounded rise of its threshold),
 *    spike count + 1.
 * 6. The chosen candidate's centred features are remembered with the decision; when its outcome
 *    comes back, the weights move by the reward-modulated rule (learning.ts).
 *
 * What each part adds over argmax of the inputs (which is what a noiseless race between equal
 * neurons computes, see lif.ts): noise explores and de-correlates routers that see the same
 * figures; the adaptive threshold penalises a candidate by how often this router chose it lately
 * (a load spread that decays with τ_θ and is bounded by a_max); the reset and refractory period
 * penalise the very last winner for a few ms (bursts are spread); learning tunes the weights.
 */
import type { Random } from '../ports'
import type { CandidateView, JobView, Router, RoutingOutcome } from './types'
import { DEFAULT_WEIGHTS, MFN_DEFAULTS, SNAPSHOT_DECISIONS } from './constants'
import { MfnInputError } from './errors'
import {
  FEATURE_COUNT,
  FEATURE_NAMES,
  FEATURE_OPTION_KEYS,
  FeatureTracker,
  readFeatureConfig,
  type CandidateStats,
  type FeatureConfig,
  type FeatureInit,
  type FeatureName,
} from './features'
import { RewardBaseline, type LearningConfig } from './learning'
import { learnFromOutcome, weightsByName, type OutcomeLearner } from './outcome'
import { firstToSpike, newRaceResult, type LifParams, type RaceResult } from './lif'
import { OptionReader } from './options'
import { PendingDecisions } from './pending'
import { GaussianSource } from './random'

/** Options of the MFN router. Every field is optional; defaults in constants.ts `MFN_DEFAULTS`. */
export interface MfnInit extends FeatureInit {
  /** Name reported in tables. Default "mfn", or "mfn/no-noise" etc. after the switches below. */
  readonly name?: string
  /** Gaussian noise on the input currents (exploration). Default true. */
  readonly noise?: boolean
  /** Reward-modulated weight learning. Default true. */
  readonly learning?: boolean
  /**
   * Refractory period and reset below rest after a spike (false: the winner resets to E_L like the
   * losers and may fire again at once). Default true.
   */
  readonly refractory?: boolean
  /** Adaptive thresholds (false: every θ stays θ₀). Default true. */
  readonly adaptation?: boolean
  /** Membrane time constant τ, ms. Default 20. */
  readonly membraneTauMs?: number
  /** Resting potential E_L. Default 0. */
  readonly restingPotential?: number
  /** Membrane resistance R. Default 1. */
  readonly resistance?: number
  /** Base threshold θ₀. Default 1. */
  readonly threshold?: number
  /** V_reset, the winner's potential after its spike (< θ₀). Default −0.5. */
  readonly resetPotential?: number
  /** Current every neuron gets besides the features (R·bias must exceed θ₀ − E_L). Default 2. */
  readonly biasCurrent?: number
  /** Standard deviation of the current noise. Default 0.1 (about ±10 % in predicted latency). */
  readonly noiseStd?: number
  /** Absolute refractory period t_ref, ms. Default 1. */
  readonly refractoryMs?: number
  /** Threshold rise Δθ per spike (scaled down as the adaptation nears its bound). Default 0.02. */
  readonly thresholdStep?: number
  /** Bound a_max of the threshold adaptation above θ₀. Default 0.5. */
  readonly thresholdMax?: number
  /** Time constant τ_θ of the threshold's relaxation, ms. Default 200. */
  readonly thresholdTauMs?: number
  /** κ in (0, 1]: how much of a loser's race charge the winner's spike removes. Default 1. */
  readonly lateralInhibition?: number
  /** Initial weights by feature name; missing names take `DEFAULT_WEIGHTS`. */
  readonly weights?: Partial<Record<FeatureName, number>>
  /** η of the learning rule. Default 0.01. */
  readonly learningRate?: number
  /** Weights stay within ±this. Default 4. */
  readonly weightLimit?: number
  /** Pull toward the initial weights per update (anchors drifting weights). Default 0.001. */
  readonly weightDecay?: number
  /** Latency of reward 0, ms (cancels in the advantage). Default 100. */
  readonly referenceLatencyMs?: number
  /** Advantage of a failed job is −this. Default 3 (as bad as a job e³ ≈ 20× slower than usual). */
  readonly failurePenalty?: number
  /** Rate of the running average reward. Default 0.05. */
  readonly baselineRate?: number
  /** Most decisions awaiting an outcome that are remembered for learning. Default 4 096. */
  readonly maxPending?: number
}

/** Every option key of `MfnInit`. */
export const MFN_OPTION_KEYS: readonly string[] = [
  ...FEATURE_OPTION_KEYS,
  'name',
  'noise',
  'learning',
  'refractory',
  'adaptation',
  'weights',
  ...Object.keys(MFN_DEFAULTS),
]

/**
 * `MfnInit` resolved and checked: every field as documented there, the LIF constants grouped in
 * `lif`, the weights as an array in `FEATURE_NAMES` order, the feature options in `features`.
 */
export interface MfnConfig extends LearningConfig {
  readonly name: string
  readonly noise: boolean
  readonly learning: boolean
  readonly refractory: boolean
  readonly adaptation: boolean
  readonly lif: LifParams
  readonly threshold: number
  readonly resetPotential: number
  readonly biasCurrent: number
  readonly noiseStd: number
  readonly refractoryMs: number
  readonly thresholdStep: number
  readonly thresholdMax: number
  readonly thresholdTauMs: number
  readonly lateralInhibition: number
  readonly weights: readonly number[]
  readonly maxPending: number
  readonly features: FeatureConfig
}

/** Checks `init` and fills in the defaults; throws `MfnOptionsError` on a bad option. */
export function readMfnConfig(init?: MfnInit): MfnConfig {
  const r = new OptionReader('mfn', init, MFN_OPTION_KEYS)
  const d = MFN_DEFAULTS
  const positive = { min: 0, exclusiveMin: true }
  const features = readFeatureConfig(r)
  const noise = r.boolean('noise', true)
  const learning = r.boolean('learning', true)
  const refractory = r.boolean('refractory', true)
  const adaptation = r.boolean('adaptation', true)
  const off = [
    noise ? '' : 'no-noise',
    learning ? '' : 'no-learning',
    refractory ? '' : 'no-refractory',
    adaptation ? '' : 'no-adaptation',
    features.coordinates ? '' : 'no-coordinates',
  ].filter((s) => s !== '')
  const lif: LifParams = {
    tauMs: r.number('membraneTauMs', d.membraneTauMs, positive),
    restingPotential: r.number('restingPotential', d.restingPotential),
    resistance: r.number('resistance', d.resistance, positive),
  }
  const threshold = r.number('threshold', d.threshold)
  const resetPotential = r.number('resetPotential', d.resetPotential)
  const biasCurrent = r.number('biasCurrent', d.biasCurrent)
  if (threshold <= lif.restingPotential) r.fail('threshold', 'must be above restingPotential')
  if (resetPotential >= threshold) r.fail('resetPotential', 'must be below threshold')
  if (lif.resistance * biasCurrent <= threshold - lif.restingPotential) {
    r.fail('biasCurrent', 'must drive a resting neuron above threshold (R·bias > θ − E_L)')
  }
  return {
    name: r.string('name', off.length === 0 ? 'mfn' : `mfn/${off.join('+')}`),
    noise,
    learning,
    refractory,
    adaptation,
    lif,
    threshold,
    resetPotential,
    biasCurrent,
    noiseStd: r.number('noiseStd', d.noiseStd, { min: 0 }),
    refractoryMs: r.number('refractoryMs', d.refractoryMs, { min: 0 }),
    thresholdStep: r.number('thresholdStep', d.thresholdStep, { min: 0 }),
    thresholdMax: r.number('thresholdMax', d.thresholdMax, positive),
    thresholdTauMs: r.number('thresholdTauMs', d.thresholdTauMs, positive),
    lateralInhibition: r.number('lateralInhibition', d.lateralInhibition, { ...positive, max: 1 }),
    weights: r.namedNumbers(
      'weights',
      FEATURE_NAMES,
      FEATURE_NAMES.map((k) => DEFAULT_WEIGHTS[k]),
    ),
    learningRate: r.number('learningRate', d.learningRate, { min: 0 }),
    weightLimit: r.number('weightLimit', d.weightLimit, positive),
    weightDecay: r.number('weightDecay', d.weightDecay, { min: 0, max: 1 }),
    referenceLatencyMs: r.number('referenceLatencyMs', d.referenceLatencyMs, positive),
    failurePenalty: r.number('failurePenalty', d.failurePenalty, { min: 0 }),
    baselineRate: r.number('baselineRate', d.baselineRate, { ...positive, max: 1 }),
    maxPending: r.number('maxPending', d.maxPending, { min: 1, max: 1 << 24, integer: true }),
    features,
  }
}

/** One candidate's neuron. */
class Neuron {
  /** Potential at `vStamp` (held there until `refractoryUntil` if later). */
  v: number
  vStamp: number
  refractoryUntil = -Infinity
  /** Threshold adaptation above θ₀ at `adaptStamp`. */
  adapt = 0
  adaptStamp = 0
  lastSpike = -Infinity
  spikeCount = 0
  /** Input current of the last decision it took part in (NaN before any). */
  lastInput = NaN

  constructor(rest: number, now: number) {
    this.v = rest
    this.vStamp = now
  }
}

/** One neuron as `snapshot` reports it. Times are the router's ms; null = never / none. */
export interface NeuronSnapshot {
  /** The candidate's `CandidateView.id`. */
  readonly id: number
  /** Membrane potential at the snapshot's time. */
  readonly potential: number
  /** Threshold (θ₀ + adaptation) at the snapshot's time. */
  readonly threshold: number
  /** When it last won a race, ms; null if never. */
  readonly lastSpikeMs: number | null
  /** End of the refractory period, null if never refractory. */
  readonly refractoryUntilMs: number | null
  /** Input current of the last decision it took part in. */
  readonly lastInput: number | null
  /** Races it has won. */
  readonly spikeCount: number
  /** Outcomes seen for this candidate (ok or not). */
  readonly outcomes: number
}

/** One past decision as `snapshot` reports it. */
export interface DecisionSnapshot {
  /** When the decision was taken, ms. */
  readonly atMs: number
  /** Id of the chosen candidate. */
  readonly winner: number
  /** Its spike time after the race began, ms; null when it won without spiking (fallback). */
  readonly winnerSpikeMs: number | null
  /** Id of the candidate that would have spiked next; null with a single eligible candidate. */
  readonly runnerUp: number | null
  /** The runner-up's spike time, ms; null if it would never have fired. */
  readonly runnerUpSpikeMs: number | null
}

/** What the UI shows of an MFN router. */
export interface MfnSnapshot {
  readonly name: string
  readonly atMs: number
  /** Every remembered candidate's neuron, by id ascending. */
  readonly neurons: readonly NeuronSnapshot[]
  /** Current weights by feature name. */
  readonly weights: Readonly<Record<FeatureName, number>>
  /** The last decisions, oldest first (at most `SNAPSHOT_DECISIONS`). */
  readonly decisions: readonly DecisionSnapshot[]
  /** Decisions awaiting an outcome (bounded by `maxPending`). */
  readonly pending: number
}

/** The MFN router. Build it with `mfn(init)`; one per router node, never shared. */
export class MfnRouter implements Router {
  readonly name: string
  private readonly cfg: MfnConfig
  private readonly tracker: FeatureTracker<Neuron>
  private readonly pending: PendingDecisions
  private readonly baseline: RewardBaseline
  private readonly gauss: GaussianSource
  private readonly w: Float64Array
  private readonly learner: OutcomeLearner
  private readonly prior: Float64Array
  private readonly race: RaceResult = newRaceResult()
  private currents = new Float64Array(16)
  private potentials = new Float64Array(16)
  private thresholds = new Float64Array(16)
  private eligible = new Uint8Array(16)
  // Ring of the last decisions, for snapshots.
  private readonly ringAt = new Float64Array(SNAPSHOT_DECISIONS)
  private readonly ringWinner = new Float64Array(SNAPSHOT_DECISIONS)
  private readonly ringWinnerTime = new Float64Array(SNAPSHOT_DECISIONS)
  private readonly ringRunner = new Float64Array(SNAPSHOT_DECISIONS)
  private readonly ringRunnerTime = new Float64Array(SNAPSHOT_DECISIONS)
  private decisions = 0

  /**
   * @param random - this router's own seeded stream
   * @param config - resolved options (`readMfnConfig`)
   */
  constructor(
    private readonly random: Random,
    config: MfnConfig,
  ) {
    this.cfg = config
    this.name = config.name
    const rest = config.lif.restingPotential
    this.tracker = new FeatureTracker(config.features, (_id, now) => new Neuron(rest, now))
    this.pending = new PendingDecisions(config.maxPending, FEATURE_COUNT)
    this.baseline = new RewardBaseline(config, config.features.maxJobClasses)
    this.gauss = new GaussianSource(random)
    this.w = Float64Array.from(config.weights)
    this.prior = Float64Array.from(config.weights)
    this.learner = {
      name: this.name,
      tracker: this.tracker,
      pending: this.pending,
      baseline: this.baseline,
      w: this.w,
      prior: this.prior,
      cfg: this.cfg,
    }
  }

  /** Chooses an executor by a first-to-spike race; see the module comment for the steps. */
  choose(job: JobView, candidates: readonly CandidateView[], now: number): number {
    const n = candidates.length
    if (n === 0) throw new MfnInputError(`${this.name}.choose: candidates must not be empty`)
    if (!Number.isFinite(now)) throw new MfnInputError(`${this.name}.choose: now must be finite`)
    const cfg = this.cfg
    const s = this.tracker.compute(job, candidates, now)
    this.ensure(n)
    const f = s.features
    const w = this.w
    const K = FEATURE_COUNT
    const currents = this.currents
    const potentials = this.potentials
    const thresholds = this.thresholds
    const eligible = this.eligible
    const noiseStd = cfg.noise ? cfg.noiseStd : 0
    for (let i = 0; i < n; i++) {
      const neuron = s.stats[i]!.ext
      const row = i * K
      let input = cfg.biasCurrent
      for (let k = 0; k < K; k++) input += w[k]! * f[row + k]!
      if (noiseStd > 0) input += noiseStd * this.gauss.next()
      currents[i] = input
      neuron.lastInput = input
      eligible[i] = neuron.refractoryUntil > now ? 0 : 1
      potentials[i] = this.potentialAt(neuron, now)
      thresholds[i] = this.thresholdAt(neuron, now)
    }
    const race = firstToSpike(
      n,
      currents,
      potentials,
      thresholds,
      eligible,
      cfg.lif,
      this.random,
      this.race,
    )
    const winner = race.winner >= 0 ? race.winner : this.soonestOutOfRefractory(s.stats, n)
    this.settle(s.stats, n, winner, now)

    const chosen = candidates[winner]!
    const slot = this.pending.add(chosen.id, job)
    const vectors = this.pending.vectors
    const at = slot * K
    const row = winner * K
    for (let k = 0; k < K; k++) vectors[at + k] = f[row + k]!
    this.pending.rtt[slot] = s.rtt[winner]!
    this.pending.service[slot] = s.service[winner]!

    const r = this.decisions++ % SNAPSHOT_DECISIONS
    this.ringAt[r] = now
    this.ringWinner[r] = chosen.id
    this.ringWinnerTime[r] = race.winner >= 0 ? race.winnerTime : Infinity
    this.ringRunner[r] =
      race.runnerUp >= 0 && race.winner >= 0 ? candidates[race.runnerUp]!.id : NaN
    this.ringRunnerTime[r] = race.runnerUpTime
    return winner
  }

  /** Updates the candidate's statistics and, with learning on, the weights. */
  feedback(outcome: RoutingOutcome): void {
    learnFromOutcome(this.learner, outcome)
  }

  /** The current weights by feature name. */
  weights(): Record<FeatureName, number> {
    return weightsByName(this.w)
  }

  /** Everything the UI shows, at time `now` (potentials and thresholds relaxed to it). */
  snapshot(now: number): MfnSnapshot {
    const neurons: NeuronSnapshot[] = []
    for (const [id, st] of this.tracker.entries()) {
      const n = st.ext
      neurons.push({
        id,
        potential: this.potentialAt(n, now),
        threshold: this.thresholdAt(n, now),
        lastSpikeMs: n.lastSpike === -Infinity ? null : n.lastSpike,
        refractoryUntilMs: n.refractoryUntil === -Infinity ? null : n.refractoryUntil,
        lastInput: Number.isNaN(n.lastInput) ? null : n.lastInput,
        spikeCount: n.spikeCount,
        outcomes: st.outcomes,
      })
    }
    neurons.sort((a, b) => a.id - b.id)
    const decisions: DecisionSnapshot[] = []
    const count = Math.min(this.decisions, SNAPSHOT_DECISIONS)
    for (let j = this.decisions - count; j < this.decisions; j++) decisions.push(this.decisionAt(j))
    return {
      name: this.name,
      atMs: now,
      neurons,
      weights: this.weights(),
      decisions,
      pending: this.pending.pending,
    }
  }

  /**
   * The last decision (winner, runner-up and their spike times), or null before the first: what
   * `snapshot(now).decisions.at(-1)` gives, without building the rest of the snapshot.
   */
  lastDecision(): DecisionSnapshot | null {
    return this.decisions === 0 ? null : this.decisionAt(this.decisions - 1)
  }

  /** Decision number `j` from the ring (one of the last `SNAPSHOT_DECISIONS`). */
  private decisionAt(j: number): DecisionSnapshot {
    const r = j % SNAPSHOT_DECISIONS
    const runner = this.ringRunner[r]!
    const wt = this.ringWinnerTime[r]!
    const rt = this.ringRunnerTime[r]!
    return {
      atMs: this.ringAt[r]!,
      winner: this.ringWinner[r]!,
      winnerSpikeMs: Number.isFinite(wt) ? wt : null,
      runnerUp: Number.isNaN(runner) ? null : runner,
      runnerUpSpikeMs: Number.isNaN(runner) || !Number.isFinite(rt) ? null : rt,
    }
  }

  /** Potential at `now`: held until the refractory period ends, then relaxing to E_L. */
  private potentialAt(n: Neuron, now: number): number {
    const rest = this.cfg.lif.restingPotential
    const start = n.vStamp > n.refractoryUntil ? n.vStamp : n.refractoryUntil
    if (n.v === rest || now <= start) return n.v
    return rest + (n.v - rest) * Math.exp(-(now - start) / this.cfg.lif.tauMs)
  }

  /** Threshold at `now`: θ₀ plus the adaptation decayed since it was last set. */
  private thresholdAt(n: Neuron, now: number): number {
    if (n.adapt === 0) return this.cfg.threshold
    const dt = now > n.adaptStamp ? now - n.adaptStamp : 0
    return this.cfg.threshold + n.adapt * Math.exp(-dt / this.cfg.thresholdTauMs)
  }

  /** When every candidate is refractory: the one that recovers first (random among equals). */
  private soonestOutOfRefractory(stats: readonly CandidateStats<Neuron>[], n: number): number {
    let best = 0
    let ties = 1
    for (let i = 1; i < n; i++) {
      const a = stats[i]!.ext.refractoryUntil
      const b = stats[best]!.ext.refractoryUntil
      if (a < b) {
        best = i
        ties = 1
      } else if (a === b && this.random.next() * ++ties < 1) {
        best = i
      }
    }
    return best
  }

  /** Applies the winner's spike (reset, refractoriness, adaptation) and the losers' inhibition. */
  private settle(
    stats: readonly CandidateStats<Neuron>[],
    n: number,
    winner: number,
    now: number,
  ): void {
    const cfg = this.cfg
    const rest = cfg.lif.restingPotential
    const kappa = cfg.lateralInhibition
    const tWin = this.race.winner === winner ? this.race.winnerTime : Infinity
    const partial = kappa < 1 && Number.isFinite(tWin)
    for (let i = 0; i < n; i++) {
      const neuron = stats[i]!.ext
      if (i === winner) {
        if (cfg.adaptation) {
          const a = this.thresholdAt(neuron, now) - cfg.threshold
          const next = a + cfg.thresholdStep * (1 - a / cfg.thresholdMax)
          neuron.adapt = next > 1e-12 ? next : 0
          neuron.adaptStamp = now
        }
        neuron.v = cfg.refractory ? cfg.resetPotential : rest
        neuron.vStamp = now
        neuron.refractoryUntil = cfg.refractory ? now + cfg.refractoryMs : -Infinity
        neuron.lastSpike = now
        neuron.spikeCount++
      } else if (this.eligible[i] === 1) {
        if (partial) {
          // Where the loser had got to when the winner fired, then the inhibition's share removed.
          const steady = rest + cfg.lif.resistance * this.currents[i]!
          const v = steady + (this.potentials[i]! - steady) * Math.exp(-tWin / cfg.lif.tauMs)
          neuron.v = rest + (1 - kappa) * (v - rest)
        } else {
          neuron.v = rest
        }
        neuron.vStamp = now
      }
    }
  }

  private ensure(n: number): void {
    if (this.currents.length >= n) return
    const size = Math.max(n, 2 * this.currents.length)
    this.currents = new Float64Array(size)
    this.potentials = new Float64Array(size)
    this.thresholds = new Float64Array(size)
    this.eligible = new Uint8Array(size)
  }
}

/** A factory of MFN routers; its routers have `snapshot` besides the `Router` methods. */
export type MfnRouterFactory = (random: Random) => MfnRouter

/**
 * Builds MFN routers with `init` (checked now: a bad option throws `MfnOptionsError` here, not at
 * the first decision).
 *
 * @example const router = mfn({ noise: false })(seededRandom(1))
 */
export function mfn(init?: MfnInit): MfnRouterFactory {
  const config = readMfnConfig(init)
  return (random) => new MfnRouter(random, config)
}
