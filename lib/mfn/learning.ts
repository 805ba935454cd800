/**
 * Reward-modulated learning of the feature weights (DESIGN.md §6): a three-factor rule. The
 * eligibility is what the chosen candidate looked like when it was chosen (its centred features),
 * the modulator is the advantage — reward minus the running average reward — and
 *
 *   Δw = η · advantage · eligibility
 *
 * so a job that went better than usual strengthens the weights of whatever made its candidate
 * stand out, and one that went worse weakens them. With centred features this is the REINFORCE
 * gradient of a policy that picks argmax-with-noise, up to the baseline's approximation.
 *
 * Reward: r = −ln(latency / reference latency). Logs make one unit mean "e times faster",
 * whatever the scale of the workload, and the reference cancels in the advantage (it only labels
 * r). A failure is worth the running average minus a penalty, so its advantage is −penalty however
 * fast it failed: a peer that fails in 1 ms must not look good (the trap P2C + peak-EWMA falls
 * into).
 *
 * The running average is kept per job class and per size bucket (factor 4 in size hint), so a big
 * job is compared with big jobs: heavy-tailed sizes would otherwise make the advantage mostly a
 * measure of the job's size, not of the routing.
 */

/** Options of the learning rule, resolved. */
export interface LearningConfig {
  /** η, the step size. */
  readonly learningRate: number
  /** Weights are kept in [−limit, limit]. */
  readonly weightLimit: number
  /** Pull toward the initial weights per update, as a fraction (0 = none). */
  readonly weightDecay: number
  /** Latency at which r = 0, ms (cancels in the advantage). */
  readonly referenceLatencyMs: number
  /** Advantage of a failed job: −failurePenalty. */
  readonly failurePenalty: number
  /** Rate of the running average reward per (class, size bucket). */
  readonly baselineRate: number
}

/** Advantages are clipped to ±this: one freak latency must not fling the weights far. */
export const ADVANTAGE_CLIP = 5

/** Smallest latency fed to the reward's log, ms. */
const MIN_LATENCY_MS = 1e-3

/** r = −ln(latency / reference): 0 at the reference, +ln 10 for a job ten times faster. */
export function rewardOf(latencyMs: number, referenceLatencyMs: number): number {
  return -Math.log(Math.max(latencyMs, MIN_LATENCY_MS) / referenceLatencyMs)
}

/**
 * The reward-modulated update, in place: `w[k] += η·A·e[k]` for each k, pulled toward `prior` by
 * `weightDecay` and clipped to ±`weightLimit`. A positive advantage raises the weights of the
 * features where the chosen candidate stood above the others (e[k] > 0) and lowers those where it
 * stood below; a negative advantage does the opposite.
 *
 * @param weights - the weights, updated in place
 * @param eligibility - array holding the eligibility vector at `offset`
 * @param offset - index of e[0] in `eligibility`
 * @param advantage - reward − running average reward (clipped to ±ADVANTAGE_CLIP here)
 * @param prior - the initial weights the decay pulls toward
 */
export function rewardModulatedUpdate(
  weights: Float64Array,
  eligibility: ArrayLike<number>,
  offset: number,
  advantage: number,
  prior: ArrayLike<number>,
  config: Pick<LearningConfig, 'learningRate' | 'weightLimit' | 'weightDecay'>,
): void {
  const a =
    advantage > ADVANTAGE_CLIP
      ? ADVANTAGE_CLIP
      : advantage < -ADVANTAGE_CLIP
        ? -ADVANTAGE_CLIP
        : advantage
  const step = config.learningRate * a
  const decay = config.weightDecay
  const limit = config.weightLimit
  for (let k = 0; k < weights.length; k++) {
    let w = weights[k]! + step * eligibility[offset + k]!
    w -= decay * (w - prior[k]!)
    weights[k] = w > limit ? limit : w < -limit ? -limit : w
  }
}

/** Size bucket of a hint: 0 without one, else 1 + ⌊log₄ size⌋ shifted into [1, 63]. */
function sizeBucket(sizeHint: number | null): number {
  if (sizeHint === null || !(sizeHint > 0) || !Number.isFinite(sizeHint)) return 0
  const b = Math.floor(Math.log(sizeHint) / Math.LN2 / 2) + 32
  return b < 1 ? 1 : b > 63 ? 63 : b
}

/** Running average reward per (job class, size bucket), and the advantage of each new reward. */
export class RewardBaseline {
  private readonly means = new Map<number, number>()

  /**
   * @param config - reference latency, failure penalty and averaging rate
   * @param classCount - classes 0 … classCount−1 get their own averages; others share one
   */
  constructor(
    private readonly config: Pick<
      LearningConfig,
      'referenceLatencyMs' | 'failurePenalty' | 'baselineRate'
    >,
    private readonly classCount: number,
  ) {}

  /**
   * The advantage of an outcome, then folds its reward into the running average. The first
   * success of a (class, bucket) has advantage 0 (nothing to compare with); a failure always has
   * −failurePenalty.
   */
  advantage(jobClass: number, sizeHint: number | null, latencyMs: number, ok: boolean): number {
    const cls =
      Number.isInteger(jobClass) && jobClass >= 0 && jobClass < this.classCount
        ? jobClass
        : this.classCount
    const key = cls * 64 + sizeBucket(sizeHint)
    const mean = this.means.get(key)
    const r = rewardOf(latencyMs, this.config.referenceLatencyMs)
    let reward: number
    let adv: number
    if (ok) {
      reward = r
      adv = mean === undefined ? 0 : r - mean
    } else {
      adv = -this.config.failurePenalty
      // A failure's latency says nothing about the reward scale: it cannot start an average.
      if (mean === undefined) return adv
      reward = mean - this.config.failurePenalty
    }
    this.means.set(
      key,
      mean === undefined ? reward : mean + this.config.baselineRate * (reward - mean),
    )
    return adv
  }

  /** The running average reward of a (class, size) — for snapshots and tests. */
  mean(jobClass: number, sizeHint: number | null): number | undefined {
    const cls =
      Number.isInteger(jobClass) && jobClass >= 0 && jobClass < this.classCount
        ? jobClass
        : this.classCount
    return this.means.get(cls * 64 + sizeBucket(sizeHint))
  }
}
