import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  confidenceInterval95,
  mean,
  quantileSorted,
  quantiles,
  summarizeSojourns,
  tQuantile975,
} from './stats'

describe('stats', () => {
  it('takes nearest-rank quantiles without rounding q·n up past an integer', () => {
    const hundred = Float64Array.from({ length: 100 }, (_, i) => i + 1)
    expect(quantileSorted(hundred, 0.5)).toBe(50)
    expect(quantileSorted(hundred, 0.99)).toBe(99)
    expect(quantileSorted(hundred, 1)).toBe(100)
    expect(quantileSorted(hundred, 0)).toBe(1)
    const thousand = Float64Array.from({ length: 1000 }, (_, i) => i + 1)
    expect(quantileSorted(thousand, 0.999)).toBe(999)
    expect(quantileSorted(new Float64Array(0), 0.5)).toBeNaN()
  })

  it('agrees with a plain sort-and-index definition', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 1000 }),
        (values, permille) => {
          const q = permille / 1000
          const sorted = [...values].sort((a, b) => a - b)
          const k = sorted.filter((v) => v <= (quantiles(values, [q])[0] as number)).length
          // At least a fraction q at or below it, and it is the smallest such value.
          expect(k / values.length).toBeGreaterThanOrEqual(q - 1e-9)
          const below = sorted.filter((v) => v < (quantiles(values, [q])[0] as number)).length
          expect(below / values.length).toBeLessThan(q + 1e-9)
        },
      ),
    )
  })

  it('summarizes sojourn times without modifying them', () => {
    const xs = Float64Array.of(5, 1, 4, 2, 3)
    expect(summarizeSojourns(xs)).toEqual({ count: 5, mean: 3, p50: 3, p99: 5, p999: 5, max: 5 })
    expect([...xs]).toEqual([5, 1, 4, 2, 3])
    expect(summarizeSojourns(new Float64Array(0)).mean).toBeNaN()
    expect(mean([])).toBeNaN()
  })

  it('rejects a quantile outside [0, 1] with QueueingStatsError', () => {
    expect(() => quantileSorted(Float64Array.of(1), 1.5)).toThrow(
      expect.objectContaining({ name: 'QueueingStatsError', code: 'ERR_QUEUEING_STATS' }),
    )
    expect(() => tQuantile975(0)).toThrow(expect.objectContaining({ name: 'QueueingStatsError' }))
  })

  it('uses Student t for the 95 % interval across seeds', () => {
    const ci = confidenceInterval95([1, 2, 3])
    expect(ci.mean).toBe(2)
    expect(ci.sd).toBe(1)
    expect(ci.halfWidth).toBeCloseTo(4.303 / Math.sqrt(3), 12)
    expect(ci.low).toBeCloseTo(2 - ci.halfWidth, 12)
    expect(ci.high).toBeCloseTo(2 + ci.halfWidth, 12)
    expect(tQuantile975(9)).toBe(2.262)
    expect(tQuantile975(1000)).toBe(1.96)
    for (let df = 1; df < 200; df++) {
      expect(tQuantile975(df + 1)).toBeLessThanOrEqual(tQuantile975(df))
    }
    expect(confidenceInterval95([7]).halfWidth).toBe(Infinity)
    expect(confidenceInterval95([]).mean).toBeNaN()
  })
})
