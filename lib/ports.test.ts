import { describe, expect, it } from 'vitest'
import { createChallenge, MAX_CHALLENGE_CHUNKS } from './assets/retrievability'
import { cryptoRandom } from './ports'

describe('cryptoRandom', () => {
  it('draws floats in [0, 1) with all 53 bits in use', () => {
    const draws = Array.from({ length: 2_000 }, () => cryptoRandom.next())
    for (const x of draws) {
      expect(x).toBeGreaterThanOrEqual(0)
      expect(x).toBeLessThan(1)
    }
    expect(new Set(draws).size).toBe(draws.length)
    // Every draw is a multiple of 2^-53 and some need the low bits: not a 32-bit value scaled.
    expect(draws.every((x) => Number.isInteger(x * 2 ** 53))).toBe(true)
    expect(draws.some((x) => !Number.isInteger(x * 2 ** 32))).toBe(true)
    // Each half of [0, 1) gets some: a constant or stuck source would not.
    expect(draws.filter((x) => x < 0.5).length).toBeGreaterThan(800)
    expect(draws.filter((x) => x >= 0.5).length).toBeGreaterThan(800)
  })

  it('is what audits draw their challenges from: two challenges of a large content differ', () => {
    const size = 2 ** 32
    const a = createChallenge(size, MAX_CHALLENGE_CHUNKS, cryptoRandom)
    const b = createChallenge(size, MAX_CHALLENGE_CHUNKS, cryptoRandom)
    expect(a.indices).toHaveLength(MAX_CHALLENGE_CHUNKS)
    expect(a.indices).not.toEqual(b.indices)
  })
})
