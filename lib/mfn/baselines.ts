/**
 * The policies the MFN router is measured against (DESIGN.md §6, §10): random, round-robin,
 * least-loaded, Finagle's P2C + peak-EWMA, and a softmax bandit that learns from the same features
 * and reward as the MFN router but without spiking. All are pure and seeded through the `Random`
 * port; per-candidate state is keyed by `CandidateView.id`.
 */
import type { Random } from '../ports'
import type { CandidateView, JobView, Router, RouterFactory, RoutingOutcome } from './types'
import {
  DEFAULT_WEIGHTS,
  FINAGLE_DECAY_TIME_MS,
  FINAGLE_PENALTY,
  SOFTMAX_DEFAULTS,
} from './constants'
import { MfnInputError } from './errors'
import {
  FEATURE_COUNT,
  FEATURE_NAMES,
  FEATURE_OPTION_KEYS,
  FeatureTracker,
  readFeatureConfig,
  type FeatureConfig,
  type FeatureInit,
  type FeatureName,
} from './features'
import { IdTable } from './id-table'
import { RewardBaseline, type LearningConfig } from './learning'
import { learnFromOutcome, weightsByName, type OutcomeLearner } from './outcome'
import { OptionReader } from './options'
import { PendingDecisions } from './pending'
import { randomIndex } from './random'

function checkChoose(name: string, candidates: readonly CandidateView[], now: number): void {
  if (candidates.length === 0)
    throw new MfnInputError(`${name}.choose: candidates must not be empty`)
  if (!Number.isFinite(now)) throw new MfnInputError(`${name}.choose: now must be finite`)
}

/** Options every baseline accepts. */
export interface BaselineInit {
  /** Name reported in tables. */
  readonly name?: string
}

// ---------------------------------------------------------------------------------------------
// random

/** Uniformly random choice (one draw per decision); learns nothing. */
export function randomRouter(init?: BaselineInit): RouterFactory {
  const name = new OptionReader('random', init, ['name']).string('name', 'random')
  return (random) => ({
    name,
    choose(_job, candidates, now) {
      checkChoose(name, candidates, now)
      return randomIndex(random, candidates.length)
    },
    feedback() {},
  })
}

// ---------------------------------------------------------------------------------------------
// round-robin

/**
 * Round-robin over the positions of the candidate list: decision k goes to (start + k) mod n. The
 * start is drawn once from the router's stream, so many routers do not all begin on candidate 0.
 * Positions rather than ids keep it O(1) when the list changes (churn shifts the cycle, which is
 * what a real round-robin balancer does on a membership change).
 */
export function roundRobin(init?: BaselineInit): RouterFactory {
  const name = new OptionReader('roundRobin', init, ['name']).string('name', 'round-robin')
  return (random) => {
    let start = -1
    let k = 0
    return {
      name,
      choose(_job, candidates, now) {
        checkChoose(name, candidates, now)
        if (start < 0) start = randomIndex(random, 1 << 30)
        return (start + k++) % candidates.length
      },
      feedback() {},
    }
  }
}

// ---------------------------------------------------------------------------------------------
// least-loaded

/**
 * The load `leastLoaded` compares: this router's in-flight count when no queue was ever heard,
 * else the larger of the gossiped queue and the in-flight count. The report counts every router's
 * jobs at the executor when it was made; the in-flight count is exact and fresh but only counts
 * ours, all of which are at the executor or on their way to it (or back). So the queue is at least
 * the in-flight count, and with a fresh report (age 0) the report is the figure; adding the two
 * would count our queued jobs twice.
 */
export function candidateLoad(c: CandidateView): number {
  const q = c.reportedQueue
  return q === null || q < c.inFlight ? c.inFlight : q
}

/**
 * Join-the-shortest-queue: the smallest `candidateLoad`, uniformly random among ties. Given fresh
 * reports (`reportAgeMs` 0) it is the full-information policy of the supermarket model; given
 * stale ones, many such routers herd onto the queue that was shortest at the last report.
 */
export function leastLoaded(init?: BaselineInit): RouterFactory {
  const name = new OptionReader('leastLoaded', init, ['name']).string('name', 'least-loaded')
  return (random) => ({
    name,
    choose(_job, candidates, now) {
      checkChoose(name, candidates, now)
      let best = 0
      let bestLoad = candidateLoad(candidates[0]!)
      let ties = 1
      for (let i = 1; i < candidates.length; i++) {
        const load = candidateLoad(candidates[i]!)
        if (load < bestLoad) {
          best = i
          bestLoad = load
          ties = 1
        } else if (load === bestLoad && random.next() * ++ties < 1) {
          best = i
        }
      }
      return best
    },
    feedback() {},
  })
}

// ---------------------------------------------------------------------------------------------
// P2C + peak-EWMA (Finagle)

/**
 * Finagle's peak-EWMA load metric for one endpoint, in ms instead of ns. Followed line by line:
 * twitter/finagle `finagle-core/src/main/scala/com/twitter/finagle/loadbalancer/PeakEwma.scala`
 * at commit ad0c9d12ad053374a93c6f00b2902c5c251523c3 (class `Metric`).
 *
 * - `observe(rtt)`: w = e^(−Δt/τ) with Δt = max(now − stamp, 0); if rtt > cost then cost = rtt
 *   (peak reset) else cost = cost·w + rtt·(1 − w); stamp = now.
 * - `load(pending)` = Finagle's `get()`: first `observe(0)` — the decay on read, which also moves
 *   the stamp, so a read between two observations changes the next EWMA step — then
 *   `Penalty + pending` if cost == 0 and pending != 0, else cost × (pending + 1).
 *
 * Finagle counts `pending` itself (start/end of each request); here it is the caller's
 * `CandidateView.inFlight`, which is the same number: this router's requests not yet returned.
 */
export class PeakEwmaMetric {
  /** Last time, ms, the cost was observed or read. */
  stamp: number
  /** The peak-sensitive EWMA of latency, ms; 0 = no history. */
  cost = 0
  /** Last time the id took part in a decision or outcome (for eviction). */
  lastSeen: number

  /**
   * @param decayTimeMs - τ, the mean lifetime of `cost` (Finagle's `decayTime`)
   * @param now - creation time (Finagle's `epoch`)
   */
  constructor(
    readonly decayTimeMs: number,
    now: number,
  ) {
    this.stamp = now
    this.lastSeen = now
  }

  /** Feeds one round-trip time (ms) observed at `now`. */
  observe(rtt: number, now: number): void {
    const td = Math.max(now - this.stamp, 0)
    const w = Math.exp(-td / this.decayTimeMs)
    if (rtt > this.cost) this.cost = rtt
    else this.cost = this.cost * w + rtt * (1.0 - w)
    this.stamp = now
  }

  /** The load of the endpoint with `pending` requests outstanding, read at `now` (decays cost). */
  load(pending: number, now: number): number {
    this.observe(0.0, now)
    if (this.cost === 0.0 && pending !== 0) return FINAGLE_PENALTY + pending
    return this.cost * (pending + 1)
  }
}

/**
 * Two distinct uniform indices in [0, n) as Finagle's P2CPick draws them: a = U[0, n),
 * b = U[0, n − 1), b += 1 if b ≥ a (a "hole" at a, skipped without bias). Writes them to `out`.
 * Needs n ≥ 2.
 */
export function pickTwoDistinct(
  random: Random,
  n: number,
  out: [number, number],
): [number, number] {
  const a = randomIndex(random, n)
  let b = randomIndex(random, n - 1)
  if (b >= a) b = b + 1
  out[0] = a
  out[1] = b
  return out
}

/** Options of `p2cPeakEwma`. */
export interface P2cPeakEwmaInit extends BaselineInit {
  /** τ of the peak-EWMA, ms. Default 10 000 (Finagle's `decayTime = 10.seconds`). */
  readonly decayTimeMs?: number
  /** Most candidate ids remembered. Default 4 096. */
  readonly maxCandidates?: number
}

/**
 * P2C + peak-EWMA exactly as Finagle's `Balancers.p2cPeakEwma()`: pick two distinct candidates
 * uniformly at random (P2CPick.scala), read both loads (`PeakEwmaMetric.load`, A first), and take
 * A if load(A) ≤ load(B), else B. A and B are an ordered uniformly random pair, so ties go to a
 * uniformly random one of the two. With one candidate it is chosen without reading any load (as
 * Finagle does). Every outcome, failed or not, is an RTT observation (Finagle's `end` runs on
 * Return and on Throw alike), which is why fast failures look like a fast peer.
 *
 * Followed: twitter/finagle finagle-core/…/loadbalancer/p2c/P2CPick.scala at commit
 * 202a657882d25638339a0cc2b458a36c010d4a5c (`<=`; older versions used `<`, same distribution) and
 * PeakEwma.scala at ad0c9d12ad053374a93c6f00b2902c5c251523c3. Finagle's node status (Open/Busy) is
 * not modelled: every candidate handed to a router is open.
 */
export function p2cPeakEwma(init?: P2cPeakEwmaInit): RouterFactory {
  const r = new OptionReader('p2cPeakEwma', init, ['name', 'decayTimeMs', 'maxCandidates'])
  const decayTimeMs = r.number('decayTimeMs', FINAGLE_DECAY_TIME_MS, { min: 0, exclusiveMin: true })
  const maxCandidates = r.number('maxCandidates', 4_096, { min: 4, integer: true })
  const name = r.string(
    'name',
    decayTimeMs === FINAGLE_DECAY_TIME_MS ? 'p2c-pewma' : `p2c-pewma/${decayTimeMs}ms`,
  )
  return (random) => {
    const table = new IdTable(maxCandidates, (_id, now) => new PeakEwmaMetric(decayTimeMs, now))
    const pair: [number, number] = [0, 0]
    return {
      name,
      choose(_job, candidates, now) {
        checkChoose(name, candidates, now)
        const n = candidates.length
        if (n === 1) {
          table.get(candidates[0]!.id, now)
          return 0
        }
        const [a, b] = pickTwoDistinct(random, n, pair)
        const ca = candidates[a]!
        const cb = candidates[b]!
        const loadA = table.get(ca.id, now).load(ca.inFlight, now)
        const loadB = table.get(cb.id, now).load(cb.inFlight, now)
        return loadA <= loadB ? a : b
      },
      feedback(outcome) {
        if (!Number.isFinite(outcome.now) || !(outcome.latencyMs >= 0)) {
          throw new MfnInputError(`${name}.feedback: now and latencyMs must be finite, latency ≥ 0`)
        }
        table.get(outcome.candidate, outcome.now).observe(outcome.latencyMs, outcome.now)
      },
    }
  }
}

// ---------------------------------------------------------------------------------------------
// softmax bandit

/** Options of `softmax`. */
export interface SoftmaxInit extends FeatureInit, BaselineInit {
  /** Boltzmann temperature T: P(i) ∝ e^(score_i / T). Default 0.3. */
  readonly temperature?: number
  /** Initial weights by feature name; missing names take `DEFAULT_WEIGHTS`. */
  readonly weights?: Partial<Record<FeatureName, number>>
  /** Learn the weights (false: a fixed Boltzmann policy). Default true. */
  readonly learning?: boolean
  /** η. Default 0.01. */
  readonly learningRate?: number
  /** Weights stay within ±this. Default 4. */
  readonly weightLimit?: number
  /** Pull toward the initial weights per update. Default 0.001. */
  readonly weightDecay?: number
  /** Latency of reward 0, ms. Default 100. */
  readonly referenceLatencyMs?: number
  /** Advantage of a failed job is −this. Default 3. */
  readonly failurePenalty?: number
  /** Rate of the running average reward. Default 0.05. */
  readonly baselineRate?: number
  /** Most decisions awaiting an outcome remembered for learning. Default 4 096. */
  readonly maxPending?: number
}

/** A factory of softmax bandits (they have `weights()` besides the `Router` methods). */
export type SoftmaxRouterFactory = (random: Random) => SoftmaxRouter

/** `SoftmaxInit` resolved and checked. */
export interface SoftmaxConfig extends LearningConfig {
  readonly name: string
  readonly temperature: number
  readonly learning: boolean
  readonly weights: readonly number[]
  readonly maxPending: number
  readonly features: FeatureConfig
}

/**
 * A contextual softmax bandit on the MFN router's features: score_i = w · f_i (the same centred
 * features), choice by Boltzmann sampling at temperature T, weights learned from the same reward
 * and advantage by the exact softmax policy gradient, Δw = η·A·(f_chosen − Σⱼ P(j)·f_j) (the 1/T
 * factor is folded into η). It is the "learning without spiking" comparison: same inputs, same
 * reward, no neurons.
 */
export function softmax(init?: SoftmaxInit): SoftmaxRouterFactory {
  const r = new OptionReader('softmax', init, [
    ...FEATURE_OPTION_KEYS,
    'name',
    'weights',
    'learning',
    ...Object.keys(SOFTMAX_DEFAULTS),
  ])
  const d = SOFTMAX_DEFAULTS
  const positive = { min: 0, exclusiveMin: true }
  const config: SoftmaxConfig = {
    features: readFeatureConfig(r),
    name: r.string('name', 'softmax'),
    temperature: r.number('temperature', d.temperature, positive),
    learning: r.boolean('learning', true),
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
  }
  return (random) => new SoftmaxRouter(random, config)
}

/** The softmax bandit. Build it with `softmax(init)`. */
export class SoftmaxRouter implements Router {
  readonly name: string
  private readonly tracker: FeatureTracker<null>
  private readonly pending: PendingDecisions
  private readonly baseline: RewardBaseline
  private readonly w: Float64Array
  private readonly prior: Float64Array
  private readonly learner: OutcomeLearner
  private readonly expected = new Float64Array(FEATURE_COUNT)
  private probs = new Float64Array(16)

  /**
   * @param random - this router's own seeded stream
   * @param cfg - resolved options (see `softmax`)
   */
  constructor(
    private readonly random: Random,
    private readonly cfg: SoftmaxConfig,
  ) {
    this.name = cfg.name
    this.tracker = new FeatureTracker(cfg.features, () => null)
    this.pending = new PendingDecisions(cfg.maxPending, FEATURE_COUNT)
    this.baseline = new RewardBaseline(cfg, cfg.features.maxJobClasses)
    this.w = Float64Array.from(cfg.weights)
    this.prior = Float64Array.from(cfg.weights)
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

  /** Samples a candidate with probability ∝ e^(w·f / T). */
  choose(job: JobView, candidates: readonly CandidateView[], now: number): number {
    checkChoose(this.name, candidates, now)
    const n = candidates.length
    const K = FEATURE_COUNT
    const s = this.tracker.compute(job, candidates, now)
    const f = s.features
    if (this.probs.length < n) this.probs = new Float64Array(Math.max(n, 2 * this.probs.length))
    const p = this.probs
    let max = -Infinity
    for (let i = 0; i < n; i++) {
      let score = 0
      for (let k = 0; k < K; k++) score += this.w[k]! * f[i * K + k]!
      p[i] = score
      if (score > max) max = score
    }
    let sum = 0
    for (let i = 0; i < n; i++) {
      const e = Math.exp((p[i]! - max) / this.cfg.temperature)
      p[i] = e
      sum += e
    }
    let u = this.random.next() * sum
    let chosen = n - 1
    for (let i = 0; i < n; i++) {
      u -= p[i]!
      if (u < 0) {
        chosen = i
        break
      }
    }
    // Eligibility: f_chosen − E_P[f], the gradient of ln P(chosen).
    const ex = this.expected
    ex.fill(0)
    for (let i = 0; i < n; i++) {
      const q = p[i]! / sum
      for (let k = 0; k < K; k++) ex[k] = ex[k]! + q * f[i * K + k]!
    }
    const slot = this.pending.add(candidates[chosen]!.id, job)
    const v = this.pending.vectors
    for (let k = 0; k < K; k++) v[slot * K + k] = f[chosen * K + k]! - ex[k]!
    this.pending.rtt[slot] = s.rtt[chosen]!
    this.pending.service[slot] = s.service[chosen]!
    return chosen
  }

  /** Updates the statistics and, with learning on, the weights. */
  feedback(outcome: RoutingOutcome): void {
    learnFromOutcome(this.learner, outcome)
  }

  /** The current weights by feature name. */
  weights(): Record<FeatureName, number> {
    return weightsByName(this.w)
  }
}
