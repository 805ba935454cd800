/**
 * What the two learning routers (MFN and the softmax bandit) do with an outcome, in one place:
 * check it, match it to the pending decision, update the candidate's statistics with the RTT and
 * service time that decision assumed, and — with learning on — move the weights by the
 * reward-modulated rule along the features the decision saw.
 */
import type { RoutingOutcome } from './types'
import { FEATURE_COUNT, FEATURE_NAMES, type FeatureName, type FeatureTracker } from './features'
import { MfnInputError } from './errors'
import { RewardBaseline, rewardModulatedUpdate, type LearningConfig } from './learning'
import type { PendingDecisions } from './pending'

/** The state a learning router keeps for its outcomes. */
export interface OutcomeLearner {
  readonly name: string
  readonly tracker: FeatureTracker<unknown>
  readonly pending: PendingDecisions
  readonly baseline: RewardBaseline
  /** Current and starting weights, FEATURE_COUNT each. */
  readonly w: Float64Array
  readonly prior: Float64Array
  readonly cfg: LearningConfig & { readonly learning: boolean }
}

/**
 * Apply one outcome.
 *
 * @throws MfnInputError - `now` or `latencyMs` is not a finite time (latency ≥ 0)
 */
export function learnFromOutcome(r: OutcomeLearner, outcome: RoutingOutcome): void {
  if (!Number.isFinite(outcome.now) || !(outcome.latencyMs >= 0)) {
    throw new MfnInputError(`${r.name}.feedback: now and latencyMs must be finite, latency ≥ 0`)
  }
  const slot = r.pending.take(outcome.candidate, outcome.job)
  // The decision's assumptions, so the overhead estimate learns only what they did not predict;
  // an outcome nobody is waiting for falls back to the candidate's last RTT.
  const rtt =
    slot >= 0 ? r.pending.rtt[slot]! : r.tracker.stats(outcome.candidate, outcome.now).lastRtt
  const service = slot >= 0 ? r.pending.service[slot]! : 0
  r.tracker.observe(outcome, rtt, service)
  if (!r.cfg.learning) return
  const job = outcome.job
  const advantage = r.baseline.advantage(job.jobClass, job.sizeHint, outcome.latencyMs, outcome.ok)
  if (slot >= 0) {
    rewardModulatedUpdate(r.w, r.pending.vectors, slot * FEATURE_COUNT, advantage, r.prior, r.cfg)
  }
}

/** Weights by feature name. */
export function weightsByName(w: Float64Array): Record<FeatureName, number> {
  const out = {} as Record<FeatureName, number>
  FEATURE_NAMES.forEach((name, k) => (out[name] = w[k]!))
  return out
}
