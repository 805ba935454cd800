import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { RandomStreams } from '../random'
import {
  bimodal,
  boundedPareto,
  boundedParetoMoment,
  checkSizeDistribution,
  exponential,
  lognormal,
  normal,
  sampleSize,
  sizeMoments,
  type SizeDistribution,
} from './distributions'

const SAMPLES = 40_000
/** Fixed fast-check seed: the property runs are part of the test, not a fresh draw each time. */
const FC = { seed: 20_240_601, numRuns: 20 } as const

/** Sample mean and variance of `SAMPLES` draws of `draw` from a stream of `seed`. */
function sampleMoments(seed: number, draw: (r: ReturnType<RandomStreams['stream']>) => number) {
  const r = new RandomStreams(seed).stream('distributions')
  let sum = 0
  let sumSq = 0
  for (let i = 0; i < SAMPLES; i++) {
    const x = draw(r)
    sum += x
    sumSq += x * x
  }
  const mean = sum / SAMPLES
  return { mean, variance: sumSq / SAMPLES - mean * mean }
}

/**
 * The sample mean lies within 6 standard errors (from the analytic variance) of the analytic
 * mean: loose enough never to fail by chance, tight enough to catch a wrong formula.
 */
function expectMeanConverges(dist: SizeDistribution, seed: number): void {
  const { mean, variance } = sizeMoments(dist)
  const sample = sampleMoments(seed, (r) => sampleSize(r, dist))
  expect(Math.abs(sample.mean - mean)).toBeLessThanOrEqual(
    6 * Math.sqrt(variance / SAMPLES) + 1e-12 * mean,
  )
}

const seedArb = fc.integer({ min: 0, max: 0xffffffff })

describe('distributions', () => {
  it('exponential: the sample mean converges to the mean', () => {
    fc.assert(
      fc.property(seedArb, fc.double({ min: 0.01, max: 1000, noNaN: true }), (seed, mean) => {
        expectMeanConverges({ kind: 'exponential', mean }, seed)
      }),
      FC,
    )
  })

  it('lognormal: the sample mean converges to the mean parameter, whatever sigma', () => {
    fc.assert(
      fc.property(
        seedArb,
        fc.double({ min: 0.01, max: 1000, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (seed, mean, sigma) => {
          expectMeanConverges({ kind: 'lognormal', mean, sigma }, seed)
        },
      ),
      FC,
    )
  })

  it('bounded Pareto: the sample mean converges and samples stay in [lo, hi]', () => {
    fc.assert(
      fc.property(
        seedArb,
        fc.double({ min: 0.5, max: 3, noNaN: true }),
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        fc.double({ min: 2, max: 1000, noNaN: true }),
        (seed, alpha, lo, ratio) => {
          const hi = lo * ratio
          expectMeanConverges({ kind: 'bounded-pareto', alpha, lo, hi }, seed)
          const r = new RandomStreams(seed).stream('support')
          for (let i = 0; i < 1000; i++) {
            const x = boundedPareto(r, alpha, lo, hi)
            expect(x >= lo && x <= hi).toBe(true)
          }
        },
      ),
      FC,
    )
  })

  it('bimodal: two point masses with the right mean', () => {
    fc.assert(
      fc.property(
        seedArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        fc.double({ min: 10, max: 1000, noNaN: true }),
        (seed, p, small, large) => {
          expectMeanConverges({ kind: 'bimodal', p, small, large }, seed)
          const r = new RandomStreams(seed).stream('support')
          for (let i = 0; i < 100; i++)
            expect([small, large]).toContain(bimodal(r, p, small, large))
        },
      ),
      FC,
    )
  })

  it('normal: sample mean and variance converge', () => {
    fc.assert(
      fc.property(
        seedArb,
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.double({ min: 0.01, max: 10, noNaN: true }),
        (seed, mu, sd) => {
          const s = sampleMoments(seed, (r) => normal(r, mu, sd))
          expect(Math.abs(s.mean - mu)).toBeLessThanOrEqual((6 * sd) / Math.sqrt(SAMPLES))
          // Var of the sample variance of a normal is 2σ⁴/n.
          expect(Math.abs(s.variance - sd * sd)).toBeLessThanOrEqual(
            6 * sd * sd * Math.sqrt(2 / SAMPLES),
          )
        },
      ),
      FC,
    )
  })

  it('the direct samplers agree with sampleSize on the same stream', () => {
    const a = new RandomStreams(3).stream('x')
    const b = new RandomStreams(3).stream('x')
    expect(exponential(a, 5)).toBe(sampleSize(b, { kind: 'exponential', mean: 5 }))
    expect(lognormal(a, 5, 0.5)).toBe(sampleSize(b, { kind: 'lognormal', mean: 5, sigma: 0.5 }))
    expect(boundedPareto(a, 1.5, 1, 100)).toBe(
      sampleSize(b, { kind: 'bounded-pareto', alpha: 1.5, lo: 1, hi: 100 }),
    )
  })

  it('bounded Pareto moments match closed forms, including the logarithmic cases', () => {
    // α = 1: E[X] = lo·hi/(hi − lo) · ln(hi/lo).
    expect(boundedParetoMoment(1, 1, 10, 1)).toBeCloseTo((10 / 9) * Math.log(10), 12)
    // α = 2, k = 2: E[X²] = 2·lo²/(1 − (lo/hi)²) · ln(hi/lo).
    expect(boundedParetoMoment(2, 1, 10, 2)).toBeCloseTo((2 / 0.99) * Math.log(10), 12)
    // k = 0 is the total probability.
    expect(boundedParetoMoment(1.3, 2, 50, 0)).toBeCloseTo(1, 12)
    expect(sizeMoments({ kind: 'bimodal', p: 0.25, small: 1, large: 5 })).toEqual({
      mean: 2,
      variance: 3,
    })
  })

  it('rejects invalid distributions with QueueingConfigError', () => {
    const bad: SizeDistribution[] = [
      { kind: 'exponential', mean: 0 },
      { kind: 'exponential', mean: Number.NaN },
      { kind: 'lognormal', mean: 1, sigma: -1 },
      { kind: 'bounded-pareto', alpha: 1, lo: 5, hi: 5 },
      { kind: 'bounded-pareto', alpha: 0, lo: 1, hi: 5 },
      { kind: 'bimodal', p: 1.5, small: 1, large: 2 },
      { kind: 'constant', value: -1 },
      { kind: 'uniform' } as unknown as SizeDistribution,
    ]
    for (const dist of bad) {
      expect(() => checkSizeDistribution(dist, 'size')).toThrow(
        expect.objectContaining({ name: 'QueueingConfigError', code: 'ERR_QUEUEING_CONFIG' }),
      )
    }
    expect(() => checkSizeDistribution({ kind: 'exponential', mean: 1 }, 'size')).not.toThrow()
  })
})
