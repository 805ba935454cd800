/**
 * The features a learning router sees of each candidate for one job, and the per-candidate
 * statistics behind them (shared by the MFN router and the softmax bandit, so the two differ only
 * in how they choose and learn).
 *
 * Every feature is dimensionless and oriented "larger is better", so one weight scale fits all:
 *
 * | feature     | raw value for candidate i and job j (index = row order) | neutral when       |
 * |-------------|---------------------------------------------------------|--------------------|
 * | latency     | −ln(RTT + overhead EWMA + size hint ÷ capacity), ms     | nothing known      |
 * | load        | −ln(1 + in-flight + trust × (reported − in-flight)⁺)    | never              |
 * | reliability | ln(success share, one virtual success added) ≥ ln 0.01  | no outcome yet     |
 * | speed       | ln(advertised capacity)                                 | capacity null      |
 * | service     | −ln(1 + (size hint ÷ capacity) / router's mean latency) | capacity/hint null |
 * | affinity    | ln((1 + all-class overhead) / (1 + j's class overhead)) | class unseen on i  |
 *
 * The overhead EWMA in `latency` is j's class's on i when that class has history there, else i's
 * all-class one.
 *
 * A prediction that is partly unknown borrows measured means, never invented figures: a null RTT
 * takes the mean of this decision's known RTTs, a candidate without history the router-wide mean
 * overhead (of j's class if there is one), a null capacity the mean known capacity.
 *
 * Logs make the features ratios: a candidate twice as fast as another is +0.69 ahead in `latency`
 * whatever the absolute figures, and with weights 1 the sum latency + load is the log of Finagle's
 * peak-EWMA cost, latency × (pending + 1), with our latency estimate in place of its peak EWMA.
 * Reliability in logs is the same currency: with success probability p a job costs about
 * latency / p (retried until it succeeds), and ln(1/p) is what the feature subtracts.
 *
 * Then, per decision, each feature is **centred** over the candidates: unknown values are set to
 * the mean of the known ones and the mean is subtracted. An unknown value is therefore exactly
 * neutral (0), never an invented figure; the mean input current stays at the router's bias so the
 * race always has a runner; and a learned weight only ever moves choices between candidates, not
 * the overall drive (the learning rule's step follows the centred features).
 *
 * "Overhead" is what a job took beyond the network and its own expected service time:
 * latency − predicted RTT at dispatch − (size hint ÷ capacity), ≥ 0; that is queueing plus model
 * error. Keeping RTT and service out of it keeps the estimate valid when coordinates move and when
 * job sizes are heavy-tailed (a 100× job does not make the peer look 100× slower). The overhead
 * EWMA is peak-leaning: it rises at `latencyRiseRate` and falls at `latencyFallRate` (quick to see
 * a slow-down, cautious to believe a recovery, like peak-EWMA but softer). Failures do not feed it.
 *
 * Estimates age: an EWMA last fed `age` ms ago is blended toward the router-wide mean by
 * e^(−age/forgetMs), and reliability evidence decays likewise toward "no evidence". A candidate
 * that once looked bad is thus retried eventually (Finagle's decay on read plays the same role).
 */
import type { CandidateView, JobView, RoutingOutcome } from './types'
import { IdTable } from './id-table'
import { OptionReader } from './options'

/** Names of the features, in index order. */
export const FEATURE_NAMES = [
  'latency',
  'load',
  'reliability',
  'speed',
  'service',
  'affinity',
] as const

/** One feature's name. */
export type FeatureName = (typeof FEATURE_NAMES)[number]

/** Number of features per candidate. */
export const FEATURE_COUNT = FEATURE_NAMES.length

/** Index of each feature in a feature row. */
export const FEATURE = {
  latency: 0,
  load: 1,
  reliability: 2,
  speed: 3,
  service: 4,
  affinity: 5,
} as const satisfies Record<FeatureName, number>

/** Smallest predicted latency fed to a log, ms (keeps −ln finite for a zero-RTT local peer). */
const MIN_PREDICTED_MS = 0.1

/** Floor of the success share fed to the log: a peer that always fails scores ln(0.01) ≈ −4.6. */
const MIN_RELIABILITY = 0.01

/** Trust time of gossiped queues under `reportStaleMs: 'auto'` before any outcome, ms. */
const COLD_REPORT_STALE_MS = 1_000

/** Rate of the router-wide overhead and latency means (per outcome). */
const GLOBAL_RATE = 0.05

/** Options of the feature extractor (shared by `mfn` and `softmax`). */
export interface FeatureInit {
  /** Use Vivaldi predicted RTTs (false: ignore them, the EWMA carries the RTT). Default true. */
  readonly coordinates?: boolean
  /** EWMA rate when an overhead sample is above the estimate (react fast). Default 0.5. */
  readonly latencyRiseRate?: number
  /** EWMA rate when an overhead sample is below the estimate (recover cautiously). Default 0.2. */
  readonly latencyFallRate?: number
  /** Per-outcome decay of the reliability counts (effective window ≈ 1 / (1 − d)). Default 0.9. */
  readonly reliabilityDecay?: number
  /** Time constant, ms, of forgetting per-candidate estimates. Default 10 000 (Finagle's τ). */
  readonly forgetMs?: number
  /**
   * Time constant, ms, of trust in a gossiped queue length (weight e^(−age/…)). Default `'auto'`:
   * the router's mean time a job spends at an executor (latency − RTT; 1 000 ms before the first
   * outcome), the time over which a queue turns over, times this router's share of the reported
   * queues ((own in-flight + 1) / (reported total + 1), at most 1): the more other routers feed
   * those queues, the sooner a report is out of date. This is what keeps many routers from
   * herding onto the queue that was short at the last report.
   */
  readonly reportStaleMs?: number | 'auto'
  /** Job classes 0 … n−1 get per-class statistics; others share the all-class ones. Default 256. */
  readonly maxJobClasses?: number
  /** Most candidate ids remembered; the least recently seen quarter is evicted. Default 4 096. */
  readonly maxCandidates?: number
}

/** The option keys of `FeatureInit`. */
export const FEATURE_OPTION_KEYS = [
  'coordinates',
  'latencyRiseRate',
  'latencyFallRate',
  'reliabilityDecay',
  'forgetMs',
  'reportStaleMs',
  'maxJobClasses',
  'maxCandidates',
] as const

/** `FeatureInit` with every default filled in. */
export type FeatureConfig = { readonly [K in keyof FeatureInit]-?: NonNullable<FeatureInit[K]> }

/** Reads the `FeatureInit` part of a builder's options (the reader has checked the keys). */
export function readFeatureConfig(r: OptionReader): FeatureConfig {
  return {
    coordinates: r.boolean('coordinates', true),
    latencyRiseRate: r.number('latencyRiseRate', 0.5, { min: 0, exclusiveMin: true, max: 1 }),
    latencyFallRate: r.number('latencyFallRate', 0.2, { min: 0, exclusiveMin: true, max: 1 }),
    reliabilityDecay: r.number('reliabilityDecay', 0.9, { min: 0, max: 1 }),
    forgetMs: r.number('forgetMs', 10_000, { min: 0, exclusiveMin: true }),
    reportStaleMs: r.autoOrNumber('reportStaleMs', { min: 0, exclusiveMin: true }),
    maxJobClasses: r.number('maxJobClasses', 256, { min: 1, max: 65_536, integer: true }),
    maxCandidates: r.number('maxCandidates', 4_096, { min: 4, integer: true }),
  }
}

/**
 * What a router has learned about one candidate. `E` is the owner's extra per-candidate state
 * (the MFN router's neuron), kept in the same entry so a decision costs one map lookup per
 * candidate.
 */
export class CandidateStats<E> {
  /** Last time the id was part of a decision or an outcome, ms. */
  lastSeen: number
  /** All-class overhead EWMA, ms; NaN before the first successful outcome. */
  overhead = NaN
  /** When `overhead` was last fed, ms. */
  overheadStamp = -Infinity
  /** Per-class overhead: [value₀, stamp₀, value₁, stamp₁, …], NaN where a class has no history. */
  classOverhead: Float64Array | null = null
  /** Decayed count of successes. */
  okCount = 0
  /** Decayed count of outcomes. */
  total = 0
  /** When the reliability counts were last fed, ms. */
  outcomeStamp = -Infinity
  /** Outcomes seen (ok or not), for the UI. */
  outcomes = 0
  /** RTT used in this candidate's last prediction (for outcomes whose decision was forgotten). */
  lastRtt = 0

  /**
   * @param id - the candidate's `CandidateView.id`
   * @param now - when it was first seen
   * @param ext - the owner's extra state
   */
  constructor(
    readonly id: number,
    now: number,
    readonly ext: E,
  ) {
    this.lastSeen = now
  }
}

/** Per-decision outputs besides the features: what the prediction assumed, per candidate. */
export interface FeatureScratch<E> {
  /** Feature rows, `FEATURE_COUNT` per candidate, centred. */
  features: Float64Array
  /** RTT, ms, the latency prediction used (0 when coordinates are off or no RTT is known). */
  rtt: Float64Array
  /** Expected service time, ms, the prediction used (0 without a size hint or capacities). */
  service: Float64Array
  /** Resolved statistics per candidate index. */
  stats: CandidateStats<E>[]
}

/** Keeps the statistics and computes feature rows. One per router. */
export class FeatureTracker<E> {
  private readonly table: IdTable<CandidateStats<E>>
  /** Router-wide all-class overhead mean, ms. */
  private globalOverhead = NaN
  /** Router-wide per-class overhead means, ms (NaN: none). */
  private globalClass = new Float64Array(0)
  /** Router-wide mean latency of successful jobs, ms: the scale of the `service` feature. */
  private meanLatency = NaN
  /** Router-wide mean of latency − RTT (time at the executor), ms: the `'auto'` trust time. */
  private meanResidence = NaN
  private scratch: FeatureScratch<E> = {
    features: new Float64Array(0),
    rtt: new Float64Array(0),
    service: new Float64Array(0),
    stats: [],
  }
  private sums = new Float64Array(FEATURE_COUNT)
  private counts = new Float64Array(FEATURE_COUNT)

  /**
   * @param config - resolved options
   * @param makeExt - the owner's extra state for a new candidate
   */
  constructor(
    readonly config: FeatureConfig,
    makeExt: (id: number, now: number) => E,
  ) {
    this.table = new IdTable(
      config.maxCandidates,
      (id, now) => new CandidateStats(id, now, makeExt(id, now)),
    )
  }

  /** The statistics of `id`, created if unknown. */
  stats(id: number, now: number): CandidateStats<E> {
    return this.table.get(id, now)
  }

  /** Every remembered candidate (snapshots only). */
  entries(): IterableIterator<[number, CandidateStats<E>]> {
    return this.table.entries()
  }

  /** The class index for per-class statistics, or −1 when the class gets none. */
  classIndex(job: JobView): number {
    const c = job.jobClass
    return Number.isInteger(c) && c >= 0 && c < this.config.maxJobClasses ? c : -1
  }

  /**
   * Computes the centred feature rows of `candidates` for `job` at `now` into reused buffers and
   * returns them (valid until the next call).
   */
  compute(job: JobView, candidates: readonly CandidateView[], now: number): FeatureScratch<E> {
    const n = candidates.length
    const K = FEATURE_COUNT
    const s = this.ensure(n)
    const f = s.features
    const cfg = this.config
    const cls = this.classIndex(job)
    const hint =
      job.sizeHint !== null && Number.isFinite(job.sizeHint) && job.sizeHint > 0 ? job.sizeHint : 0

    // Pass 1: resolve the state, read RTT and capacity, and the means that fill unknowns.
    let rttSum = 0
    let rttKnown = 0
    let capSum = 0
    let capKnown = 0
    let queueSum = 0
    let ownSum = 0
    for (let i = 0; i < n; i++) {
      const c = candidates[i]!
      s.stats[i] = this.table.get(c.id, now)
      const rtt = c.predictedRttMs
      const r = cfg.coordinates && rtt !== null && Number.isFinite(rtt) && rtt >= 0 ? rtt : NaN
      s.rtt[i] = r
      if (r === r) {
        rttSum += r
        rttKnown++
      }
      const cap = c.capacity
      const k = cap !== null && Number.isFinite(cap) && cap > 0 ? cap : NaN
      s.service[i] = k // capacity for now; becomes the service time in pass 2
      if (k === k) {
        capSum += k
        capKnown++
      }
      const q = c.reportedQueue
      if (q !== null && q > 0 && Number.isFinite(q)) {
        queueSum += q
        ownSum += c.inFlight > 0 ? c.inFlight : 0
      }
    }
    const rttFill = rttKnown > 0 ? rttSum / rttKnown : 0
    const capFill = capKnown > 0 ? capSum / capKnown : NaN
    const gAll = this.globalOverhead
    const gClass = cls >= 0 && cls < this.globalClass.length ? this.globalClass[cls]! : NaN
    const gOverhead = gClass === gClass ? gClass : gAll
    // 'auto': a report is trusted for the time its queue takes to turn over, times this router's
    // share of that queue — with many routers acting on the same report, it goes stale faster.
    const staleMs =
      cfg.reportStaleMs !== 'auto'
        ? cfg.reportStaleMs
        : (this.meanResidence > 0 ? this.meanResidence : COLD_REPORT_STALE_MS) *
          Math.min(1, (ownSum + 1) / (queueSum + 1))

    // Pass 2: raw features (NaN = unknown).
    let serviceSum = 0
    for (let i = 0; i < n; i++) {
      const c = candidates[i]!
      const st = s.stats[i]!
      const row = i * K
      let rtt = s.rtt[i]!
      if (rtt !== rtt) rtt = rttFill
      s.rtt[i] = rtt
      st.lastRtt = rtt

      const cap = s.service[i]!
      f[row + FEATURE.speed] = cap === cap ? Math.log(cap) : NaN
      const capUse = cap === cap ? cap : capFill
      const service = hint > 0 && capUse === capUse ? hint / capUse : 0
      s.service[i] = service
      serviceSum += service

      // Overhead: this class if it has history here, else all classes, aged toward the router mean.
      let overhead: number
      let affinity = NaN
      const co = st.classOverhead
      if (cls >= 0 && co !== null && 2 * cls < co.length && co[2 * cls] === co[2 * cls]) {
        const classForget = Math.exp(-age(now, co[2 * cls + 1]!) / cfg.forgetMs)
        const v = co[2 * cls]!
        overhead = gOverhead === gOverhead ? gOverhead + (v - gOverhead) * classForget : v
        if (st.overhead === st.overhead) {
          affinity = Math.log((1 + st.overhead) / (1 + v)) * classForget
        }
      } else if (st.overhead === st.overhead) {
        const forget = Math.exp(-age(now, st.overheadStamp) / cfg.forgetMs)
        overhead = gAll === gAll ? gAll + (st.overhead - gAll) * forget : st.overhead
      } else {
        overhead = gOverhead
      }
      const predicted = rtt + (overhead === overhead ? overhead : 0) + service
      const anything = overhead === overhead || rttKnown > 0 || service > 0
      f[row + FEATURE.latency] = anything ? -Math.log(Math.max(predicted, MIN_PREDICTED_MS)) : NaN
      f[row + FEATURE.affinity] = affinity

      // Load: own in-flight (exact) plus the others' part of the gossiped queue, trusted by age.
      let load = c.inFlight > 0 ? c.inFlight : 0
      const q = c.reportedQueue
      if (q !== null && q > load && Number.isFinite(q)) {
        const reportAge = c.reportAgeMs > 0 ? c.reportAgeMs : 0
        load += (q - load) * Math.exp(-reportAge / staleMs)
      }
      f[row + FEATURE.load] = -Math.log1p(load)

      // Reliability: success share with one virtual success, evidence decayed with time.
      if (st.total > 0) {
        const keep = Math.exp(-age(now, st.outcomeStamp) / cfg.forgetMs)
        const rel = (st.okCount * keep + 1) / (st.total * keep + 1)
        f[row + FEATURE.reliability] = Math.log(rel > MIN_RELIABILITY ? rel : MIN_RELIABILITY)
      } else {
        f[row + FEATURE.reliability] = NaN
      }
    }

    // Service time relative to the router's typical latency (or to the mean service time before
    // any latency was seen): tiny jobs barely care where they run, huge ones mostly do.
    if (hint > 0) {
      let scale = this.meanLatency
      if (!(scale > 0)) scale = serviceSum > 0 ? serviceSum / n : 1
      for (let i = 0; i < n; i++) {
        // Unknown capacity (its speed feature is NaN until centred): neutral here too.
        const known = f[i * K + FEATURE.speed] === f[i * K + FEATURE.speed]
        f[i * K + FEATURE.service] = known ? -Math.log1p(s.service[i]! / scale) : NaN
      }
    } else {
      for (let i = 0; i < n; i++) f[i * K + FEATURE.service] = 0
    }

    centre(f, n, this.sums, this.counts)
    return s
  }

  /**
   * Feeds one outcome into the statistics.
   *
   * @param rttUsed - the RTT the decision's prediction assumed (from the pending decision), ms
   * @param serviceUsed - the service time it assumed, ms
   */
  observe(outcome: RoutingOutcome, rttUsed: number, serviceUsed: number): void {
    const cfg = this.config
    const now = outcome.now
    const st = this.table.get(outcome.candidate, now)
    st.outcomes++

    const keep =
      st.outcomeStamp === -Infinity
        ? 0
        : Math.exp(-Math.max(0, now - st.outcomeStamp) / cfg.forgetMs)
    st.okCount = st.okCount * keep * cfg.reliabilityDecay + (outcome.ok ? 1 : 0)
    st.total = st.total * keep * cfg.reliabilityDecay + 1
    st.outcomeStamp = now

    // A failure says nothing about how fast the peer works (it may fail fast): reliability only.
    if (!outcome.ok) return
    const latency = outcome.latencyMs
    const overhead = Math.max(0, latency - rttUsed - serviceUsed)
    const cls = this.classIndex(outcome.job)

    const gAll = this.globalOverhead
    st.overhead = this.blendAndUpdate(st.overhead, st.overheadStamp, gAll, overhead, now)
    st.overheadStamp = now
    if (cls >= 0) {
      let co = st.classOverhead
      if (co === null || co.length < 2 * (cls + 1)) {
        const grown = new Float64Array(2 * (cls + 1)).fill(NaN)
        if (co !== null) grown.set(co)
        st.classOverhead = co = grown
      }
      const gClass = cls < this.globalClass.length ? this.globalClass[cls]! : NaN
      co[2 * cls] = this.blendAndUpdate(co[2 * cls]!, co[2 * cls + 1]!, gClass, overhead, now)
      co[2 * cls + 1] = now
      if (cls >= this.globalClass.length) {
        const grown = new Float64Array(cls + 1).fill(NaN)
        grown.set(this.globalClass)
        this.globalClass = grown
      }
      const g = this.globalClass[cls]!
      this.globalClass[cls] = g === g ? g + GLOBAL_RATE * (overhead - g) : overhead
    }
    this.globalOverhead = gAll === gAll ? gAll + GLOBAL_RATE * (overhead - gAll) : overhead
    const m = this.meanLatency
    this.meanLatency = m === m ? m + GLOBAL_RATE * (latency - m) : latency
    const residence = Math.max(0, latency - rttUsed)
    const mr = this.meanResidence
    this.meanResidence = mr === mr ? mr + GLOBAL_RATE * (residence - mr) : residence
  }

  /** Ages `value` (fed at `stamp`) toward `global`, then moves it toward `sample`. */
  private blendAndUpdate(
    value: number,
    stamp: number,
    global: number,
    sample: number,
    now: number,
  ): number {
    if (value !== value) return sample
    const cfg = this.config
    let v = value
    if (global === global) {
      v = global + (v - global) * Math.exp(-Math.max(0, now - stamp) / cfg.forgetMs)
    }
    const rate = sample > v ? cfg.latencyRiseRate : cfg.latencyFallRate
    return v + rate * (sample - v)
  }

  private ensure(n: number): FeatureScratch<E> {
    const s = this.scratch
    if (s.rtt.length < n) {
      const size = Math.max(n, 2 * s.rtt.length, 16)
      s.features = new Float64Array(size * FEATURE_COUNT)
      s.rtt = new Float64Array(size)
      s.service = new Float64Array(size)
    }
    return s
  }
}

/** Time since `stamp`, never negative (a clock that steps back must not amplify old evidence). */
function age(now: number, stamp: number): number {
  return now > stamp ? now - stamp : 0
}

/**
 * Centres each feature column of the first `n` rows in place: unknowns (NaN) become the mean of
 * the known values, then the mean is subtracted; a column with nothing known becomes all 0.
 */
export function centre(f: Float64Array, n: number, sums: Float64Array, counts: Float64Array): void {
  const K = FEATURE_COUNT
  sums.fill(0)
  counts.fill(0)
  for (let i = 0; i < n; i++) {
    const row = i * K
    for (let k = 0; k < K; k++) {
      const v = f[row + k]!
      if (v === v) {
        sums[k] = sums[k]! + v
        counts[k] = counts[k]! + 1
      }
    }
  }
  for (let k = 0; k < K; k++) sums[k] = counts[k]! > 0 ? sums[k]! / counts[k]! : 0
  for (let i = 0; i < n; i++) {
    const row = i * K
    for (let k = 0; k < K; k++) {
      const v = f[row + k]!
      f[row + k] = v === v ? v - sums[k]! : 0
    }
  }
}
