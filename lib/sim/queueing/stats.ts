/**
 * Statistics for the routing bench: exact quantiles of one run's sojourn times (by sorting, no
 * sketches) and a 95 % confidence interval across seeds (Student t). Empty inputs give NaN rather
 * than an error: a policy that completed nothing still gets a row.
 */
import { QueueingStatsError } from './errors'

/** Mean, quantiles and maximum of one run's sojourn times, ms. */
export interface SojournSummary {
  readonly count: number
  readonly mean: number
  readonly p50: number
  readonly p99: number
  /** p99.9: meaningful from about 10,000 samples on. */
  readonly p999: number
  readonly max: number
}

/** A mean with its 95 % confidence interval. */
export interface ConfidenceInterval {
  /** Number of values (seeds). */
  readonly n: number
  readonly mean: number
  /** Sample standard deviation (n − 1 in the denominator); NaN below 2 values. */
  readonly sd: number
  /** t(0.975, n − 1) × sd / √n; Infinity for one value, NaN for none. */
  readonly halfWidth: number
  readonly low: number
  readonly high: number
}

/** Arithmetic mean; NaN when empty. */
export function mean(values: ArrayLike<number>): number {
  const n = values.length
  if (n === 0) return NaN
  let sum = 0
  for (let i = 0; i < n; i++) sum += values[i] as number
  return sum / n
}

/**
 * The q-quantile of ascending `sorted` by nearest rank: the smallest value with at least a
 * fraction q of the values at or below it (q = 0 gives the minimum). NaN when empty.
 *
 * @throws QueueingStatsError - q is outside [0, 1]
 * @example
 * quantileSorted(Float64Array.of(1, 2, 3, 4), 0.5) // 2
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 1))
    throw new QueueingStatsError(`quantileSorted: q must be in [0, 1], got ${q}`)
  const n = sorted.length
  if (n === 0) return NaN
  // The tolerance keeps q·n that should be an integer (0.99 × 100) from rounding up a rank.
  const rank = Math.max(1, Math.ceil(q * n - 1e-9))
  return sorted[Math.min(n, rank) - 1] as number
}

/** Quantiles of `values` (not modified: a sorted copy is made), by nearest rank. */
export function quantiles(values: ArrayLike<number>, qs: readonly number[]): number[] {
  const sorted = Float64Array.from(values).sort()
  return qs.map((q) => quantileSorted(sorted, q))
}

/**
 * Count, mean, p50, p99, p99.9 and max of sojourn times (exact: one sorted copy).
 *
 * @example
 * summarizeSojourns(result.sojournMs).p99
 */
export function summarizeSojourns(sojournMs: Float64Array): SojournSummary {
  const sorted = Float64Array.from(sojournMs).sort()
  const n = sorted.length
  return {
    count: n,
    mean: mean(sorted),
    p50: quantileSorted(sorted, 0.5),
    p99: quantileSorted(sorted, 0.99),
    p999: quantileSorted(sorted, 0.999),
    max: n === 0 ? NaN : (sorted[n - 1] as number),
  }
}

/** Two-sided 95 % Student t quantiles t(0.975, df) for df = 1 … 30. */
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145,
  2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048,
  2.045, 2.042,
]

/**
 * t(0.975, df): the multiplier of a two-sided 95 % interval. Exact table values for df ≤ 30, 40,
 * 60 and 120; between table rows the smaller df's (larger, conservative) value; 1.96 past 120.
 *
 * @throws QueueingStatsError - df is not an integer >= 1
 */
export function tQuantile975(df: number): number {
  if (!(Number.isInteger(df) && df >= 1)) {
    throw new QueueingStatsError(`tQuantile975: df must be an integer >= 1, got ${df}`)
  }
  if (df <= 30) return T_975[df - 1] as number
  if (df < 40) return 2.042
  if (df < 60) return 2.021
  if (df < 120) return 2.0
  if (df === 120) return 1.98
  return 1.96
}

/**
 * Mean over seeds ± t(0.975, n − 1) · s / √n, where s is the sample standard deviation.
 *
 * @example
 * confidenceInterval95([10.1, 9.8, 10.3]) // { n: 3, mean: 10.067, halfWidth: 0.627, … }
 */
export function confidenceInterval95(values: readonly number[]): ConfidenceInterval {
  const n = values.length
  const m = mean(values)
  if (n < 2) {
    const halfWidth = n === 0 ? NaN : Infinity
    return { n, mean: m, sd: NaN, halfWidth, low: m - halfWidth, high: m + halfWidth }
  }
  let ss = 0
  for (const v of values) ss += (v - m) * (v - m)
  const sd = Math.sqrt(ss / (n - 1))
  const halfWidth = (tQuantile975(n - 1) * sd) / Math.sqrt(n)
  return { n, mean: m, sd, halfWidth, low: m - halfWidth, high: m + halfWidth }
}
