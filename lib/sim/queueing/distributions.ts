/**
 * Random variates for the queueing simulator: job sizes, inter-arrival times, up- and down-times,
 * measurement errors. Every sampler is a pure function of a `Random` (a `SimRandom` stream in the
 * simulator) and its parameters, and draws a fixed number of uniforms per call, so a stream's
 * position after n calls does not depend on the values drawn.
 *
 * Job sizes are described by data (`SizeDistribution`), so a scenario is plain JSON and its
 * analytic moments (`sizeMoments`) can set the arrival rate and test tolerances.
 */
import type { Random } from '../../ports'
import { QueueingConfigError } from './errors'

/** A uniform in (0, 1]: safe to take the logarithm of. */
function openUniform(random: Random): number {
  return 1 - random.next()
}

/**
 * Exponential variate with the given mean (inversion: one uniform).
 *
 * @example
 * exponential(streams.stream('arrivals'), 1 / lambda) // an inter-arrival time
 */
export function exponential(random: Random, mean: number): number {
  return -mean * Math.log(openUniform(random))
}

/**
 * Gaussian variate N(mean, sd²) by Box–Muller. Uses two uniforms and discards the second normal
 * of the pair, so the function keeps no state between calls.
 */
export function normal(random: Random, mean = 0, sd = 1): number {
  const r = Math.sqrt(-2 * Math.log(openUniform(random)))
  return mean + sd * r * Math.cos(2 * Math.PI * random.next())
}

/**
 * Lognormal variate parameterised by its **mean** and the standard deviation `sigma` of its
 * logarithm: exp(μ + σZ) with μ = ln(mean) − σ²/2, so E[X] = mean whatever `sigma` is.
 */
export function lognormal(random: Random, mean: number, sigma: number): number {
  return Math.exp(Math.log(mean) - (sigma * sigma) / 2 + sigma * normal(random))
}

/**
 * Bounded Pareto variate on [lo, hi] with shape `alpha` (density ∝ x^(−α−1)), by inversion of
 * F(x) = (1 − (lo/x)^α) / (1 − (lo/hi)^α): one uniform.
 */
export function boundedPareto(random: Random, alpha: number, lo: number, hi: number): number {
  const tail = 1 - Math.pow(lo / hi, alpha)
  const x = lo / Math.pow(1 - random.next() * tail, 1 / alpha)
  // Rounding can land a hair outside the support at the extremes.
  return x < lo ? lo : x > hi ? hi : x
}

/**
 * Bimodal variate made of **two point masses**: `large` with probability `p`, else `small` (one
 * uniform). Point masses, not two exponentials, so the two modes stay distinct and a size hint
 * tells exactly which mode a job is in.
 */
export function bimodal(random: Random, p: number, small: number, large: number): number {
  return random.next() < p ? large : small
}

/**
 * E[X^k] of the bounded Pareto on [lo, hi] with shape `alpha`:
 * α·lo^α / (1 − (lo/hi)^α) · ∫_lo^hi x^(k−α−1) dx.
 */
export function boundedParetoMoment(alpha: number, lo: number, hi: number, k: number): number {
  const c = (alpha * Math.pow(lo, alpha)) / (1 - Math.pow(lo / hi, alpha))
  if (Math.abs(k - alpha) < 1e-12) return c * Math.log(hi / lo)
  return (c * (Math.pow(hi, k - alpha) - Math.pow(lo, k - alpha))) / (k - alpha)
}

/** A job-size distribution, as data. Sizes are in work units (1 unit = 1 ms on a speed-1 peer). */
export type SizeDistribution =
  /** Every job has size `value`. */
  | { readonly kind: 'constant'; readonly value: number }
  /** Exponential with mean `mean`. */
  | { readonly kind: 'exponential'; readonly mean: number }
  /** Lognormal with mean `mean` and log-standard deviation `sigma` (see `lognormal`). */
  | { readonly kind: 'lognormal'; readonly mean: number; readonly sigma: number }
  /** Bounded Pareto on [lo, hi] with shape `alpha` (see `boundedPareto`). */
  | {
      readonly kind: 'bounded-pareto'
      readonly alpha: number
      readonly lo: number
      readonly hi: number
    }
  /** `large` with probability `p`, else `small` (two point masses, see `bimodal`). */
  | { readonly kind: 'bimodal'; readonly p: number; readonly small: number; readonly large: number }

/** Draws one size from `dist`. `dist` is assumed valid (`checkSizeDistribution`). */
export function sampleSize(random: Random, dist: SizeDistribution): number {
  switch (dist.kind) {
    case 'constant':
      return dist.value
    case 'exponential':
      return exponential(random, dist.mean)
    case 'lognormal':
      return lognormal(random, dist.mean, dist.sigma)
    case 'bounded-pareto':
      return boundedPareto(random, dist.alpha, dist.lo, dist.hi)
    case 'bimodal':
      return bimodal(random, dist.p, dist.small, dist.large)
  }
}

/** The analytic mean and variance of a size distribution. */
export interface Moments {
  readonly mean: number
  readonly variance: number
}

/**
 * Analytic mean and variance of `dist`.
 *
 * @example
 * sizeMoments({ kind: 'exponential', mean: 2 }) // { mean: 2, variance: 4 }
 */
export function sizeMoments(dist: SizeDistribution): Moments {
  switch (dist.kind) {
    case 'constant':
      return { mean: dist.value, variance: 0 }
    case 'exponential':
      return { mean: dist.mean, variance: dist.mean * dist.mean }
    case 'lognormal':
      return {
        mean: dist.mean,
        variance: dist.mean * dist.mean * Math.expm1(dist.sigma * dist.sigma),
      }
    case 'bounded-pareto': {
      const m1 = boundedParetoMoment(dist.alpha, dist.lo, dist.hi, 1)
      const m2 = boundedParetoMoment(dist.alpha, dist.lo, dist.hi, 2)
      return { mean: m1, variance: Math.max(0, m2 - m1 * m1) }
    }
    case 'bimodal': {
      const mean = (1 - dist.p) * dist.small + dist.p * dist.large
      const d = dist.large - dist.small
      return { mean, variance: dist.p * (1 - dist.p) * d * d }
    }
  }
}

const positive = (x: number): boolean => Number.isFinite(x) && x > 0

/**
 * Throws `QueueingConfigError` unless `dist` is a size distribution with finite, positive sizes.
 *
 * @param where - names the field in the message ("classes[1].size")
 */
export function checkSizeDistribution(dist: SizeDistribution, where: string): void {
  const fail = (why: string): never => {
    throw new QueueingConfigError(`runQueueing: ${where}: ${why}`)
  }
  if (typeof dist !== 'object' || dist === null) fail('must be an object')
  switch (dist.kind) {
    case 'constant':
      if (!positive(dist.value)) fail('value must be a positive number')
      return
    case 'exponential':
      if (!positive(dist.mean)) fail('mean must be a positive number')
      return
    case 'lognormal':
      if (!positive(dist.mean)) fail('mean must be a positive number')
      // σ much above 3 gives means that no feasible sample reproduces; reject rather than mislead.
      if (!(Number.isFinite(dist.sigma) && dist.sigma >= 0 && dist.sigma <= 3)) {
        fail('sigma must be in [0, 3]')
      }
      return
    case 'bounded-pareto':
      if (!positive(dist.alpha)) fail('alpha must be a positive number')
      if (!positive(dist.lo) || !positive(dist.hi) || !(dist.lo < dist.hi)) {
        fail('need 0 < lo < hi')
      }
      return
    case 'bimodal':
      if (!(dist.p >= 0 && dist.p <= 1)) fail('p must be in [0, 1]')
      if (!positive(dist.small) || !positive(dist.large)) fail('small and large must be positive')
      return
    default:
      fail(`unknown kind "${(dist as { kind: unknown }).kind as string}"`)
  }
}
