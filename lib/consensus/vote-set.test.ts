import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { toHex } from './bytes'
import type { SignedVote } from './vote'
import { VoteSet, choiceKey } from './vote-set'

const vote = (validator: number, block: number | null): SignedVote => ({
  chainId: 'c',
  height: 1,
  round: 0,
  type: 'prevote',
  blockHash: block === null ? null : new Uint8Array(32).fill(block),
  timestamp: 0,
  validator: new Uint8Array(32).fill(validator),
  signature: new Uint8Array(64),
})

describe('vote sets', () => {
  it('tally first votes once in the totals and every choice by distinct validators', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 1, max: 8 }),
            fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
          ),
          { maxLength: 40 },
        ),
        (entries) => {
          const set = new VoteSet(10)
          const power = (v: number) => v
          for (const [v, b] of entries) {
            const key = toHex(new Uint8Array(32).fill(v))
            const choice = choiceKey(vote(v, b).blockHash)
            if (set.counts(key, choice)) continue
            if (set.votes.has(key)) set.addConflicting(key, vote(v, b), power(v))
            else set.add(key, vote(v, b), power(v))
          }
          const firsts = new Map<number, number | null>()
          for (const [v, b] of entries) if (!firsts.has(v)) firsts.set(v, b)
          expect(set.power).toBe([...firsts.keys()].reduce((s, v) => s + v, 0))
          for (const b of [null, 1, 2, 3]) {
            const voters = new Set(entries.filter(([, x]) => x === b).map(([v]) => v))
            const expected = [...voters].reduce((s, v) => s + v, 0)
            expect(set.powerFor(choiceKey(vote(1, b).blockHash))).toBe(expected)
            expect([...set.votesFor(choiceKey(vote(1, b).blockHash))]).toHaveLength(voters.size)
          }
          const quorumBlock = set.quorumFor
          if (quorumBlock !== null) expect(set.powerFor(quorumBlock)).toBeGreaterThanOrEqual(10)
        },
      ),
    )
  })
})
