import { describe, expect, it } from 'vitest'
import { runCli } from '../cli'
import { runSeed, type RunOptions, type SimReport } from '../run'
import { SWEEP_TIMEOUTS, consensusScenario } from './consensus'
import { defaultScenarios } from '.'

/** The sweep's profile (SWEEP_TIMEOUTS, 5 transfers/s) on 4 validators + 2 plain nodes. */
const scenario = consensusScenario({ tps: 5, timeouts: SWEEP_TIMEOUTS, deadlineMs: 6_000 })
const small: RunOptions = { validators: 4, nodes: 2, durationMs: 4_000 }

function figure(r: SimReport, name: string): number {
  const v = r.summary[name]
  if (typeof v !== 'number') throw new Error(`no figure ${name}`)
  return v
}

describe('consensus scenario', () => {
  it('replays a seed byte for byte (same report, same trace hash)', () => {
    const options: RunOptions = { ...small, byzantine: 1, faults: 'random' }
    const a = runSeed(scenario, 7, options)
    const b = runSeed(scenario, 7, options)
    expect(b.traceHash).toBe(a.traceHash)
    expect(JSON.stringify(b)).toBe(JSON.stringify(a))
    // The canonical fault list replays it too.
    const c = runSeed(scenario, 7, { ...options, faults: a.faults })
    expect(c.traceHash).toBe(a.traceHash)
    expect(runSeed(scenario, 8, options).traceHash).not.toBe(a.traceHash)
  })

  it('commits blocks of transfers and conserves supply in a clean run', () => {
    const r = runSeed(scenario, 1, small)
    expect(r.violations).toEqual([])
    expect(figure(r, 'heights')).toBeGreaterThanOrEqual(3)
    expect(figure(r, 'committedTransfers')).toBeGreaterThan(5)
    expect(figure(r, 'roundsAboveZero')).toBe(0)
    // Every honest validator is at the top (or one block behind, the last commit in flight).
    expect(figure(r, 'minHonestValidatorHeight')).toBeGreaterThanOrEqual(figure(r, 'heights') - 1)
    expect(r.liveness?.recoveredAfterMs).not.toBeNull()
  })

  describe('one Byzantine validator of four (f = 1) breaks no invariant', () => {
    const byzantine = (behaviour: string, seed: number): SimReport => {
      const r = runSeed(scenario, seed, {
        ...small,
        byzantine: 1,
        faults: `${behaviour},loss=0.03,partition:groups=2`,
      })
      expect(r.byzantineNodes).toEqual([{ node: expect.any(Number), behaviour }])
      expect(r.violations).toEqual([])
      expect(r.liveness?.recoveredAfterMs).not.toBeNull()
      return r
    }

    it('equivocate: conflicting votes are reported and slashed', () => {
      for (const seed of [1, 2]) {
        const r = byzantine('equivocate', seed)
        expect(figure(r, 'equivocatingVotesSeen')).toBeGreaterThan(0)
        expect(figure(r, 'equivocationsReported')).toBeGreaterThan(0)
        expect(figure(r, 'slashTxs')).toBeGreaterThan(0)
      }
    })

    it('withhold: the others decide without its votes', () => {
      for (const seed of [1, 2])
        expect(figure(byzantine('withhold', seed), 'heights')).toBeGreaterThan(2)
    })

    it('invalid: bad state roots, transactions and signatures are refused', () => {
      let refused = 0
      for (const seed of [1, 2, 3]) {
        const r = byzantine('invalid', seed)
        refused += figure(r, 'invalidBlocksSeen') + figure(r, 'badSignaturesSeen')
      }
      expect(refused).toBeGreaterThan(0)
    })

    it('lie-time: block time follows the honest clocks', () => {
      for (const seed of [1, 2]) {
        const r = byzantine('lie-time', seed)
        // The liar's clock is an hour off; BFT time stays within the run's virtual time.
        expect(Math.abs(figure(r, 'lastBlockTimeMs'))).toBeLessThanOrEqual(r.endMs)
      }
    })

    it('twins: two hosts with one key', () => {
      for (const seed of [1, 2]) {
        const r = byzantine('twins', seed)
        expect(r.hosts).toBe(7)
      }
    })
  })

  it('reports a safety violation with f + 1 Byzantine validators (two twins across a partition)', () => {
    // Seeds found by searching 1..20 (3, 5, 9, 14 and 18 fork); the partition splits the twins.
    const failed: SimReport[] = []
    for (const seed of [3, 5, 9]) {
      const r = runSeed(scenario, seed, {
        ...small,
        byzantine: 2,
        faults: 'twins,partition:at=0:for=4s',
      })
      if (!r.ok) failed.push(r)
    }
    expect(failed.length).toBeGreaterThan(0)
    for (const r of failed) {
      expect(r.violations[0]).toMatchObject({ invariant: 'agreement' })
      expect(r.violations[0]!.message).toMatch(/^height \d+: host \d+ committed/)
    }
  })

  describe('regressions (seeds that once failed)', () => {
    /** The profile the seeds were found with: timeouts of 400/200 ms, 400 ms block interval. */
    const found = consensusScenario({
      tps: 5,
      deadlineMs: 4_000,
      timeouts: {
        proposeBase: 400,
        proposeDelta: 200,
        prevoteBase: 200,
        prevoteDelta: 100,
        precommitBase: 200,
        precommitDelta: 100,
        commit: 400,
        rebroadcast: 400,
        syncRetry: 400,
      },
    })
    const replay = (seed: number, faults: string): SimReport =>
      runSeed(found, seed, { validators: 4, nodes: 2, byzantine: 1, durationMs: 4_000, faults })

    it('seed 41: validators restarted while locked on a block they no longer had never decided again', () => {
      // All honest validators crashed; two had locked on the liar's round-1 block. The lock record
      // now carries the block (lib/consensus/core.ts), so they can propose it again.
      const r = replay(
        41,
        'loss=0.054,dup=0.099,reorder=0.119:ms=80ms,partition=2:times=2,crash=3:lose=some,lie-time',
      )
      expect(r.violations).toEqual([])
      expect(figure(r, 'heights')).toBeGreaterThan(0)
    })

    it('seed 112: an equivocator relaying polka prevotes, and evidence reported a height too early, went unslashed', () => {
      const r = replay(112, 'partition=3:times=2,crash=1:lose=none,skew=290ms,equivocate,twins')
      expect(r.violations).toEqual([])
      expect(figure(r, 'badSignaturesSeen')).toBe(0)
      expect(figure(r, 'slashTxs')).toBeGreaterThan(0)
    })

    it('seed 206: evidence refused by peers one height behind was never announced again', () => {
      const r = replay(
        206,
        'loss=0.189,dup=0.021,jitter=30ms,skew=250ms,churn=2.36,equivocate,withhold',
      )
      expect(r.violations).toEqual([])
    })
  })

  it('runs from the command line: a sweep of the brief, as JSON', () => {
    let out = ''
    const code = runCli(
      [
        '--scenario',
        'consensus',
        '--validators',
        '4',
        '--nodes',
        '2',
        '--byzantine',
        '1',
        '--faults',
        'random',
        '--seeds',
        '1..3',
        '--duration',
        '3',
        '--json',
      ],
      { registry: defaultScenarios(), write: (t) => (out += t), error: (t) => (out += t) },
    )
    expect(code).toBe(0)
    expect(JSON.parse(out)).toMatchObject({ scenario: 'consensus', runs: 3, failed: 0 })
  })
})
