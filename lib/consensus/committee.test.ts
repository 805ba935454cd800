import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import * as dagCbor from '@ipld/dag-cbor'
import { sha256 } from '@noble/hashes/sha2.js'
import { committeeHash, makeCommittee, proposerOf, proposerOrder } from './committee'
import { InvalidCommitteeError } from './errors'

const key = (i: number) => new Uint8Array(32).fill(i + 1)
const committeeArb = fc
  .array(fc.integer({ min: 1, max: 1_000 }), { minLength: 1, maxLength: 31 })
  .map((powers) => powers.map((power, i) => ({ publicKey: key(i), power })))

describe('committees', () => {
  it('computes quorum (> 2/3) and one third (> 1/3) as the least powers that exceed them', () => {
    fc.assert(
      fc.property(committeeArb, (members) => {
        const c = makeCommittee(members)
        const t = members.reduce((s, m) => s + m.power, 0)
        expect(c.totalPower).toBe(t)
        expect(3 * c.quorum > 2 * t && 3 * (c.quorum - 1) <= 2 * t).toBe(true)
        expect(3 * c.oneThird > t && 3 * (c.oneThird - 1) <= t).toBe(true)
      }),
    )
    const huge = makeCommittee([{ publicKey: key(0), power: Number.MAX_SAFE_INTEGER }])
    expect(huge.quorum).toBe(Number((2n * BigInt(Number.MAX_SAFE_INTEGER)) / 3n) + 1)
  })

  it('hashes [[key, power], …] in the order given', () => {
    const members = [
      { publicKey: key(0), power: 3 },
      { publicKey: key(1), power: 4 },
    ]
    expect(committeeHash(members)).toEqual(
      sha256(
        dagCbor.encode([
          [key(0), 3],
          [key(1), 4],
        ]),
      ),
    )
    expect(makeCommittee(members).hash).toEqual(committeeHash(members))
  })

  it('refuses empty committees, bad keys, repeated keys, bad powers and overflowing totals', () => {
    const bad = [
      [],
      [{ publicKey: new Uint8Array(31), power: 1 }],
      [
        { publicKey: key(0), power: 1 },
        { publicKey: key(0), power: 1 },
      ],
      [{ publicKey: key(0), power: 0 }],
      [{ publicKey: key(0), power: 1.5 }],
      [
        { publicKey: key(0), power: Number.MAX_SAFE_INTEGER },
        { publicKey: key(1), power: 1 },
      ],
    ]
    for (const members of bad) {
      try {
        makeCommittee(members)
        expect.unreachable()
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidCommitteeError)
        expect((e as InvalidCommitteeError).code).toBe('ERR_INVALID_COMMITTEE')
      }
    }
  })
})

describe('proposer selection', () => {
  it('orders every member exactly once, deterministically', () => {
    fc.assert(
      fc.property(committeeArb, fc.integer({ min: 1, max: 1e9 }), (members, height) => {
        const c = makeCommittee(members)
        const order = proposerOrder(c, 'chain', height)
        expect([...order].sort((a, b) => a - b)).toEqual(members.map((_, i) => i))
        expect(proposerOrder(c, 'chain', height)).toEqual(order)
        for (let r = 0; r < members.length * 2; r++) {
          expect(proposerOf(c, 'chain', height, r)).toBe(members[order[r % members.length]!])
        }
      }),
      { numRuns: 50 },
    )
  })

  it('picks the round-0 proposer in proportion to power', () => {
    const powers = [1, 2, 3, 4, 10]
    const c = makeCommittee(powers.map((power, i) => ({ publicKey: key(i), power })))
    const counts = powers.map(() => 0)
    const heights = 4_000
    for (let h = 1; h <= heights; h++) counts[proposerOrder(c, 'chain', h)[0]!]!++
    const total = powers.reduce((a, b) => a + b, 0)
    powers.forEach((p, i) => {
      const expected = (heights * p) / total
      // Deterministic (seeded by height); the bound is ~5 standard deviations.
      expect(Math.abs(counts[i]! - expected)).toBeLessThan(5 * Math.sqrt(expected) + 5)
    })
  })

  it('depends on the chain ID and the height', () => {
    const c = makeCommittee(Array.from({ length: 31 }, (_, i) => ({ publicKey: key(i), power: 1 })))
    expect(proposerOrder(c, 'a', 1)).not.toEqual(proposerOrder(c, 'b', 1))
    expect(proposerOrder(c, 'a', 1)).not.toEqual(proposerOrder(c, 'a', 2))
  })
})
