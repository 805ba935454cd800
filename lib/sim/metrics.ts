/**
 * Run metrics: sample distributions (reported as count / min / p50 / p90 / p99 / max / mean) and
 * counters (reported with a rate per virtual second). Samples are kept raw and sorted once at the
 * end, so recording is a push.
 */

/** A distribution, summarised. Percentiles by nearest rank. All 0 when empty. */
export interface DistributionSummary {
  count: number
  min: number
  p50: number
  p90: number
  p99: number
  max: number
  mean: number
}

/** A counter, summarised. */
export interface CounterSummary {
  total: number
  /** total / virtual seconds of the run. */
  perSecond: number
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000
}

/**
 * Summarises samples (the array is not modified).
 *
 * @example
 * summarize([3, 1, 2]).p50 // 2
 */
export function summarize(samples: readonly number[]): DistributionSummary {
  const n = samples.length
  if (n === 0) return { count: 0, min: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 }
  const sorted = Float64Array.from(samples).sort()
  const rank = (q: number): number => sorted[Math.max(0, Math.ceil(q * n) - 1)] as number
  let sum = 0
  for (const v of sorted) sum += v
  return {
    count: n,
    min: round3(sorted[0] as number),
    p50: round3(rank(0.5)),
    p90: round3(rank(0.9)),
    p99: round3(rank(0.99)),
    max: round3(sorted[n - 1] as number),
    mean: round3(sum / n),
  }
}

/** Collects distributions and counters during a run. */
export class MetricsRecorder {
  private readonly samples = new Map<string, number[]>()
  private readonly counters = new Map<string, number>()

  /** Adds a sample to distribution `name`. */
  observe(name: string, value: number): void {
    let list = this.samples.get(name)
    if (list === undefined) {
      list = []
      this.samples.set(name, list)
    }
    list.push(value)
  }

  /** Adds `by` to counter `name`. */
  count(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by)
  }

  /** Summaries, names sorted. */
  distributions(): Record<string, DistributionSummary> {
    const out: Record<string, DistributionSummary> = {}
    for (const name of [...this.samples.keys()].sort()) {
      out[name] = summarize(this.samples.get(name) ?? [])
    }
    return out
  }

  /** Counter totals and rates over `seconds` of virtual time, names sorted. */
  counterSummaries(seconds: number): Record<string, CounterSummary> {
    const out: Record<string, CounterSummary> = {}
    for (const name of [...this.counters.keys()].sort()) {
      const total = this.counters.get(name) ?? 0
      out[name] = { total, perSecond: seconds > 0 ? round3(total / seconds) : 0 }
    }
    return out
  }
}
