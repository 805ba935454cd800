import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ADVANTAGE_CLIP, RewardBaseline, rewardModulatedUpdate, rewardOf } from './learning'

const noDecay = { learningRate: 0.1, weightLimit: 1e9, weightDecay: 0 }
const vec = fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 6, maxLength: 6 })
/** Eligibility components away from 0, so each has a sign. */
const signed = fc.array(
  fc
    .tuple(fc.double({ min: 1e-3, max: 3, noNaN: true }), fc.boolean())
    .map(([m, neg]) => (neg ? -m : m)),
  { minLength: 6, maxLength: 6 },
)

describe('rewardModulatedUpdate', () => {
  it('with a positive advantage raises the weights where the chosen features are positive, lowers them where negative', () => {
    fc.assert(
      fc.property(
        vec,
        signed,
        fc.double({ min: 0.01, max: ADVANTAGE_CLIP, noNaN: true }),
        (w0, e, a) => {
          const w = Float64Array.from(w0)
          rewardModulatedUpdate(w, e, 0, a, w0, noDecay)
          for (let k = 0; k < 6; k++) {
            expect(Math.sign(w[k]! - w0[k]!)).toBe(Math.sign(e[k]!))
            expect(w[k]! - w0[k]!).toBeCloseTo(0.1 * a * e[k]!, 12)
          }
        },
      ),
    )
  })

  it('with a negative advantage does the opposite', () => {
    fc.assert(
      fc.property(
        vec,
        signed,
        fc.double({ min: -ADVANTAGE_CLIP, max: -0.01, noNaN: true }),
        (w0, e, a) => {
          const w = Float64Array.from(w0)
          rewardModulatedUpdate(w, e, 0, a, w0, noDecay)
          for (let k = 0; k < 6; k++) expect(Math.sign(w[k]! - w0[k]!)).toBe(-Math.sign(e[k]!))
        },
      ),
    )
  })

  it('reads the eligibility at an offset, clips the advantage and the weights, and decays toward the prior', () => {
    const w = Float64Array.of(0, 0)
    rewardModulatedUpdate(w, [9, 9, 1, -1], 2, 100, [0, 0], noDecay)
    expect([...w]).toEqual([0.1 * ADVANTAGE_CLIP, -0.1 * ADVANTAGE_CLIP])

    const clipped = Float64Array.of(0.9)
    rewardModulatedUpdate(clipped, [1], 0, 5, [0], { ...noDecay, weightLimit: 1 })
    expect(clipped[0]).toBe(1)

    const decayed = Float64Array.of(2)
    rewardModulatedUpdate(decayed, [0], 0, 1, [1], { ...noDecay, weightDecay: 0.5 })
    expect(decayed[0]).toBeCloseTo(1.5, 12)
  })
})

describe('rewardOf', () => {
  it('is 0 at the reference, ln 10 ten times faster, and falls as latency grows', () => {
    expect(rewardOf(100, 100)).toBe(-0)
    expect(rewardOf(10, 100)).toBeCloseTo(Math.LN10, 12)
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 1e5, noNaN: true }),
        fc.double({ min: 1.01, max: 10, noNaN: true }),
        (l, f) => {
          expect(rewardOf(l * f, 100)).toBeLessThan(rewardOf(l, 100))
        },
      ),
    )
  })
})

describe('RewardBaseline', () => {
  const config = { referenceLatencyMs: 100, failurePenalty: 3, baselineRate: 0.5 }

  it('gives the first success 0, then reward minus the running average', () => {
    const b = new RewardBaseline(config, 8)
    expect(b.advantage(0, null, 100, true)).toBe(0)
    expect(b.mean(0, null)).toBeCloseTo(0, 12)
    expect(b.advantage(0, null, 10, true)).toBeCloseTo(Math.LN10, 12)
    expect(b.mean(0, null)).toBeCloseTo(Math.LN10 / 2, 12)
    expect(b.advantage(0, null, 100, true)).toBeCloseTo(-Math.LN10 / 2, 12)
  })

  it('scores every failure −failurePenalty, however fast it failed', () => {
    const b = new RewardBaseline(config, 8)
    expect(b.advantage(0, null, 0.001, false)).toBe(-3)
    expect(b.mean(0, null)).toBeUndefined()
    b.advantage(0, null, 100, true)
    expect(b.advantage(0, null, 1, false)).toBe(-3)
    expect(b.mean(0, null)).toBeCloseTo(-1.5, 12)
  })

  it('keeps separate averages per class and per size bucket (factor 4)', () => {
    const b = new RewardBaseline(config, 8)
    b.advantage(1, null, 10, true)
    b.advantage(2, null, 1000, true)
    b.advantage(1, 300, 500, true)
    expect(b.mean(1, null)).toBeCloseTo(rewardOf(10, 100), 12)
    expect(b.mean(2, null)).toBeCloseTo(rewardOf(1000, 100), 12)
    expect(b.mean(1, 300)).toBeCloseTo(rewardOf(500, 100), 12)
    expect(b.mean(1, 1000)).toBe(b.mean(1, 300)) // 256 … 1023: one bucket
    expect(b.mean(1, 1024)).toBeUndefined()
    expect(b.mean(1, 255)).toBeUndefined()
    // Classes beyond the table share one average.
    b.advantage(50, null, 20, true)
    expect(b.mean(99, null)).toBeCloseTo(rewardOf(20, 100), 12)
  })
})
