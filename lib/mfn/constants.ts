/**
 * Default parameters of the routers in lib/mfn, in one place so the routers, the registry, the
 * bench and the README agree. Why each value is what it is: lib/mfn/README.md.
 */

/**
 * Finagle's peak-EWMA decay time (Balancers.p2cPeakEwma, `decayTime = 10.seconds`), in ms.
 */
export const FINAGLE_DECAY_TIME_MS = 10_000

/**
 * The load Finagle's PeakEwma gives a node with no latency history but requests pending
 * (`Long.MaxValue >> 16` = 2⁴⁷ − 1), plus the pending count: larger than any real cost, so such a
 * node is probed by one request at a time.
 */
export const FINAGLE_PENALTY = 140_737_488_355_327

/** Default weights of the MFN router and the softmax bandit, by feature name (see features.ts). */
export const DEFAULT_WEIGHTS = {
  /** With `load` at 1 too, latency + load is the log of Finagle's cost latency × (pending + 1). */
  latency: 1,
  load: 1,
  /** 1: a success rate p costs ln(1/p), the log of the expected number of tries. */
  reliability: 1,
  /** Small: advertised speed is already inside the latency prediction once there is history. */
  speed: 0.25,
  /** Extra say of expected service time (size ÷ speed) on top of the latency prediction. */
  service: 0.5,
  /** Extra say of "faster for this class than its own average" on top of the per-class EWMA. */
  affinity: 0.5,
} as const

/** Default numbers of the MFN router (`mfn(init)`); each is documented on `MfnInit`. */
export const MFN_DEFAULTS = {
  membraneTauMs: 20,
  restingPotential: 0,
  resistance: 1,
  threshold: 1,
  resetPotential: -0.5,
  biasCurrent: 2,
  noiseStd: 0.1,
  refractoryMs: 1,
  thresholdStep: 0.02,
  thresholdMax: 0.5,
  thresholdTauMs: 200,
  lateralInhibition: 1,
  learningRate: 0.01,
  weightLimit: 4,
  weightDecay: 0.001,
  referenceLatencyMs: 100,
  failurePenalty: 3,
  baselineRate: 0.05,
  maxPending: 4_096,
} as const

/** Default numbers of the softmax bandit (`softmax(init)`). */
export const SOFTMAX_DEFAULTS = {
  temperature: 0.3,
  learningRate: 0.01,
  weightLimit: 4,
  weightDecay: 0.001,
  referenceLatencyMs: 100,
  failurePenalty: 3,
  baselineRate: 0.05,
  maxPending: 4_096,
} as const

/** Decisions kept for `MfnRouter.snapshot` (the UI's "last decisions" list). */
export const SNAPSHOT_DECISIONS = 16
